"""keep_freed_memory: freed large blocks are reused instead of faulted in again (glibc)."""

import os
import subprocess
import sys
import textwrap

import pytest

from minisharp import memory

# Allocate and free a 64 MiB array (above glibc's largest mmap threshold) 20 times, touching
# every page, and print the minor page faults of the last 10 rounds.
PROGRAM = textwrap.dedent("""
    import resource, sys
    import numpy as np
    from minisharp.memory import keep_freed_memory
    kept = keep_freed_memory()
    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for round in range(20):
        if round == 10:
            start = faults()
        block = np.ones(16 * 2**20, dtype=np.float32)
        del block
    print(int(kept), (faults() - start) // 10)
""")


def run_program(setting):
    env = {**os.environ, memory.ENVIRONMENT: setting}
    done = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                          env=env, check=True)
    kept, faults_per_round = done.stdout.split()
    return kept == "1", int(faults_per_round)


glibc_only = pytest.mark.skipif(
    not sys.platform.startswith("linux") or memory._mallopt() is None,
    reason="mallopt is glibc's; elsewhere keep_freed_memory does nothing")


@glibc_only
def test_freed_blocks_are_reused_instead_of_faulted_in_again():
    kept, faults = run_program("1")
    plain_kept, plain_faults = run_program("0")
    assert kept and not plain_kept
    # without the setting every round faults the 64 MiB in again: 16,384 pages of 4 KiB, or at
    # least 32 with 2 MiB transparent huge pages; with it, a round reuses the heap
    assert faults < 16 < plain_faults, (faults, plain_faults)


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv(memory.ENVIRONMENT, "0")
    assert memory.keep_freed_memory() is False


def test_a_bad_environment_value_is_an_error(monkeypatch):
    monkeypatch.setenv(memory.ENVIRONMENT, "yes")
    with pytest.raises(ValueError, match=memory.ENVIRONMENT):
        memory.keep_freed_memory()
