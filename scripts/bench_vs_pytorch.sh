#!/usr/bin/env bash
# The speed table of BENCHMARKS.md: cnn! on the fast path and
# on burn's path (benches/vs_pytorch.rs), PyTorch eager and ONNX Runtime
# (scripts/bench_vs_pytorch.py), two threads each, alternated network by
# network over three rounds in one run; then every distinct ResNet-18 and MobileNetV2
# convolution on each. Needs `pip install torch onnx onnxruntime`.
#   scripts/bench_vs_pytorch.sh [python]
# NETS="efficientnet_b0 convnext_tiny" and LAYERS=0 run a part of it.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-python3}"
out=target/bench
mkdir -p "$out"
export RAYON_NUM_THREADS=2
cargo bench --bench vs_pytorch --no-run
cargo bench --bench vs_pytorch -- --twins "$out/twins"
results="$out/results.txt"
# The machine is shared and its speed drifts by up to 1.6× over minutes, so
# the engines alternate network by network, three rounds.
{
    echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    for round in 1 2 3; do
        echo "# round $round"
        for net in ${NETS:-resnet18 mobilenet_v2 unet cifar_resnet vgg lenet efficientnet_b0 convnext_tiny m5 tcn r3d_18}; do
            cargo bench --bench vs_pytorch -- --only "$net" 2>/dev/null
            "$python" scripts/bench_vs_pytorch.py run "$out/twins" --only "$net"
        done
    done
    if [ "${LAYERS:-1}" = 1 ]; then
        echo "# layers"
        cargo bench --bench vs_pytorch -- --layers 2>/dev/null
        "$python" scripts/bench_vs_pytorch.py run "$out/twins" --layers
    fi
} | tee "$results"
"$python" scripts/bench_vs_pytorch.py table "$results"
