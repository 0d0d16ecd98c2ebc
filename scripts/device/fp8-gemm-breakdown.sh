#!/usr/bin/env bash
# Device call on nvidia-h200: the torch FP8 GEMM's time split into activation quantisation and the
# multiply (workers/torch/fp8_gemm_breakdown.py) -> $OUT/fp8_gemm_breakdown.jsonl, printed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
run_worker_check fp8_gemm_breakdown workers/torch/fp8_gemm_breakdown.py "${BREAKDOWN_TIMEOUT_S:-400}"
cat "$OUT/fp8_gemm_breakdown.jsonl"
