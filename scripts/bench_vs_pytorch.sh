#!/usr/bin/env bash
# The speed table of README's Performance section: cnn! on the fast path and
# on burn's path (benches/vs_pytorch.rs), PyTorch eager and ONNX Runtime
# (scripts/bench_vs_pytorch.py), two threads each, alternated over two
# rounds in one run; then every distinct ResNet-18 and MobileNetV2
# convolution on each. Needs `pip install torch onnx onnxruntime`.
#   scripts/bench_vs_pytorch.sh [python]
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-python3}"
out=target/bench
mkdir -p "$out"
export RAYON_NUM_THREADS=2
cargo bench --bench vs_pytorch --no-run
cargo bench --bench vs_pytorch -- --twins "$out/twins"
results="$out/results.txt"
{
    echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    for round in 1 2; do
        echo "# round $round"
        cargo bench --bench vs_pytorch 2>/dev/null
        "$python" scripts/bench_vs_pytorch.py run "$out/twins"
    done
    echo "# layers"
    cargo bench --bench vs_pytorch -- --layers 2>/dev/null
    "$python" scripts/bench_vs_pytorch.py run "$out/twins" --layers
} | tee "$results"
"$python" scripts/bench_vs_pytorch.py table "$results"
