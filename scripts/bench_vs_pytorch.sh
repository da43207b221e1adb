#!/usr/bin/env bash
# burn (flex, generated networks) and PyTorch eager, alternated twice in one
# run so that both see the same machine. Needs `pip install torch`.
#   scripts/bench_vs_pytorch.sh [python]
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-python3}"
cargo bench --bench forward --no-run
for round in 1 2; do
    echo "== round $round: PyTorch"
    "$python" scripts/bench_pytorch.py
    echo "== round $round: burn flex"
    cargo bench --bench forward -- --noplot "forward/|train_step|upsample/" 2>&1 \
        | grep -E '^[a-z]+/(forward/[0-9]+|train_step/64|bilinear/[0-9]+) +time:' || true
done
