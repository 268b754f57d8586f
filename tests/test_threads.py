"""set_threads: BLAS and Numba thread counts, from the library, the environment and the CLI."""

import json
import os
import subprocess
import sys

import pytest

from minisharp.threads import set_threads, threads_from_environment

# Runs in a fresh interpreter started with 2 BLAS and 2 Numba threads, so that a change to 1 is
# visible whatever the test process itself was started with.
PROBE = """
import json, sys
import numba, threadpoolctl
from minisharp import cli, threads

def counts():
    blas = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()
            if pool["user_api"] == "blas"]
    return [numba.get_num_threads(), blas]

seen = [counts()]
if sys.argv[1] == "library":
    threads.set_threads(1)
elif sys.argv[1] == "environment":
    threads.threads_from_environment()
else:
    cli.main(["evaluate", "/nonexistent/checkpoint.npz", "--threads", "1"])
seen.append(counts())
print(json.dumps(seen))
"""


@pytest.mark.parametrize("how", ["library", "environment", "cli"])
def test_set_threads_changes_numba_and_blas_threads(how):
    env = dict(os.environ, NUMBA_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2",
               OMP_NUM_THREADS="2", MINISHARP_THREADS="1" if how == "environment" else "")
    proc = subprocess.run([sys.executable, "-c", PROBE, how], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    (numba_before, blas_before), (numba_after, blas_after) = json.loads(proc.stdout)
    assert numba_before == 2 and numba_after == 1
    assert blas_before and set(blas_before) == {2}  # NumPy's OpenBLAS, as started
    assert set(blas_after) == {1}


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_bad_thread_counts_are_refused(bad):
    with pytest.raises(ValueError, match=f"threads must be a whole number ≥ 1, got {bad!r}"):
        set_threads(bad)


def test_bad_environment_value_is_named(monkeypatch):
    monkeypatch.setenv("MINISHARP_THREADS", "many")
    with pytest.raises(ValueError, match="MINISHARP_THREADS must be a whole number ≥ 1, got "
                                         "'many'"):
        threads_from_environment()
    monkeypatch.setenv("MINISHARP_THREADS", "")
    assert threads_from_environment() is None
