#!/usr/bin/env bash
# Device call on nvidia-h200: burst vs sustained GEMM time (workers/torch/sustained_clock.py).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,power.limit --format=csv
for run in 1 2; do python3 workers/torch/sustained_clock.py 5 | tee -a "$OUT/sustained_clock.jsonl"; done
