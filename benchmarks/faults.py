"""Page faults and kernel time per training step, with and without keeping freed memory.

    python benchmarks/faults.py            # F1 at batch 256 and 6000, C1 at batch 256
    python benchmarks/faults.py --quick    # fewer steps

Each case runs in a fresh process twice: once with ``MINISHARP_KEEP_FREED_MEMORY=0`` (glibc's
default allocator behaviour) and once after :func:`minisharp.memory.keep_freed_memory`. After
two warm-up steps it counts, per training step (loss + gradient in mode "train", then Adam):
minor page faults, system and user CPU time (``getrusage``) and wall time. Fault counts do not
depend on what else runs on the machine; the times do, so read them side by side only.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from minisharp.report import cpu_model  # noqa: E402

CASES = (("F1", 256, 40), ("F1", 6000, 6), ("C1", 256, 4))


def measure(name, batch, steps):
    """One case in this process: per-step faults, system ms, user ms and wall ms."""
    import numpy as np

    import minisharp
    from minisharp import data, optim, zoo
    from minisharp.memory import keep_freed_memory

    kept = keep_freed_memory()
    train, _ = data.load_pair("fashion-mnist")
    net = zoo.build(name, train.input_shape, train.num_classes)
    X, y = np.ascontiguousarray(np.resize(train.X, (batch, *train.X.shape[1:]))), \
        np.resize(train.y, batch)
    theta, state, rng = net.init(0), net.init_state(), np.random.default_rng(0)
    grad, adam = np.empty_like(theta), optim.Adam()

    def step():
        minisharp.loss_and_grad(net, theta, X, y, mode="train", state=state, rng=rng, out=grad)
        adam.step(theta, grad)

    step()
    step()
    before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(steps):
        step()
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {"kept": kept, "faults": (after.ru_minflt - before.ru_minflt) / steps,
            "system_ms": 1e3 * (after.ru_stime - before.ru_stime) / steps,
            "user_ms": 1e3 * (after.ru_utime - before.ru_utime) / steps,
            "wall_ms": 1e3 * wall / steps}


def in_fresh_process(name, batch, steps, keep):
    env = {**os.environ, "MINISHARP_KEEP_FREED_MEMORY": "1" if keep else "0"}
    done = subprocess.run([sys.executable, __file__, "--case", name, str(batch), str(steps)],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the steps")
    parser.add_argument("--case", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        name, batch, steps = args.case
        print(json.dumps(measure(name, int(batch), int(steps))))
        return
    print(f"{cpu_model()}, {os.cpu_count()} cores; per training step, after 2 warm-up "
          "steps; glibc default → freed memory kept")
    print(f"{'case':<16}{'faults':>18}{'system ms':>20}{'user ms':>20}{'wall ms':>20}")
    for name, batch, steps in CASES:
        steps = max(2, steps // 4) if args.quick else steps
        plain, kept = (in_fresh_process(name, batch, steps, keep) for keep in (False, True))
        if not kept["kept"]:
            print("  (keep_freed_memory had no effect here: not glibc?)")
        cells = "".join(f"{plain[k]:>9.0f} → {kept[k]:<6.0f}" for k in
                        ("faults", "system_ms", "user_ms", "wall_ms"))
        print(f"{name} b{batch:<12}{cells}")


if __name__ == "__main__":
    main()
