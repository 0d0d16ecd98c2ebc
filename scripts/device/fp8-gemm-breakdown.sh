#!/usr/bin/env bash
# Device call on nvidia-h200: the torch FP8 GEMM's time split into activation quantisation and the
# multiply (workers/torch/fp8_gemm_breakdown.py) -> $OUT/fp8_gemm_breakdown.jsonl, printed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv
timeout -k 10 "${BREAKDOWN_TIMEOUT_S:-400}" python3 workers/torch/fp8_gemm_breakdown.py \
  > "$OUT/fp8_gemm_breakdown.jsonl" 2> "$OUT/fp8_gemm_breakdown.err"
echo "exit $?"; tail -3 "$OUT/fp8_gemm_breakdown.err"
cat "$OUT/fp8_gemm_breakdown.jsonl"
