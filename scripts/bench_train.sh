#!/usr/bin/env bash
# The training table of BENCHMARKS.md: one Adam step of cnn! on autodiff flex
# (`benches/vs_pytorch.rs -- --train`) and of its PyTorch twin
# (scripts/bench_train.py), two threads each, one process per network and
# engine (for its peak memory), alternated network by network over three
# rounds. Needs `pip install torch`.
#   scripts/bench_train.sh [python]
# NETS="resnet18 mobilenet_v2" runs a part of it.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-python3}"
out=target/bench
mkdir -p "$out"
export RAYON_NUM_THREADS=2
cargo bench --bench vs_pytorch --no-run
cargo bench --bench vs_pytorch -- --twins "$out/twins"
results="$out/train.txt"
{
    echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    for round in 1 2 3; do
        echo "# round $round"
        for net in ${NETS:-lenet cifar_resnet vgg resnet18 mobilenet_v2 efficientnet_b0 scene_net}; do
            cargo bench --bench vs_pytorch -- --train --only "$net" 2>/dev/null
            "$python" scripts/bench_train.py run "$out/twins" --only "$net"
        done
    done
} | tee "$results"
"$python" scripts/bench_train.py table "$results"
