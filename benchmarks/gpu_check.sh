#!/usr/bin/env bash
# Everything GPU-related in one call on a CUDA machine (a GPU is lent rarely and briefly):
# the gpu tests, the GPU benchmark, and lesson 03 --quick on the GPU, timed. Logs and results
# go to $OUT (default gpu-out/). Expects, beside the checkout: autograd's wheel under .whl/
# (pip download --no-deps autograd==1.9.1 -d .whl) when the machine lacks autograd, and
# Fashion-MNIST's four .gz files under .gpu/fashion-mnist/ (else the embedded subset is used).
set -u
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD:/tmp/site" MINISHARP_DATA="$PWD/.gpu"
if ! python3 -c "import autograd" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl
fi
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import cupy, numba, numpy, torch; print('cupy', cupy.__version__, 'torch', torch.__version__, 'numpy', numpy.__version__, 'numba', numba.__version__)"
  nproc; } > "$OUT/env.txt" 2>&1
step() {  # step NAME SECONDS COMMAND...: run with a time limit, log, record exit and wall time
    local name=$1 limit=$2 start; shift 2; start=$(date +%s)
    timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1
    echo "exit $? after $(( $(date +%s) - start )) s" >> "$OUT/$name.txt"
}
step tests 240 python3 -m pytest -q -p no:cacheprovider -m gpu tests/test_device.py
step bench 180 python3 benchmarks/gpu.py --out "$OUT/RESULTS.md"
step lesson03 300 python3 lessons/03_sharpness.py --device cuda --quiet --runs /tmp/runs \
    --out "$OUT/lesson03"
tail -n 3 "$OUT"/tests.txt "$OUT"/bench.txt "$OUT"/lesson03.txt
