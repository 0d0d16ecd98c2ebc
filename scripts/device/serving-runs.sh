#!/usr/bin/env bash
# Device call on nvidia-h200: serving runs (workers/torch/serving_run.py) of the points files given
# (default scripts/device/serving-points.jsonl), lines FIRST..LAST of each (SERVING_LINES=FIRST,LAST,
# default all) -> $OUT/serving.jsonl; then the CSV `inferplan silicon compare` reads
# ($OUT/serving.csv, scripts/device/serving-csv.py).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.limit --format=csv
: > "$OUT/serving.jsonl"
for points in "${@:-scripts/device/serving-points.jsonl}"; do
  sed -n "${SERVING_LINES:-1,\$}p" "$points" > /tmp/points.jsonl
  echo "=== $points ($(wc -l < /tmp/points.jsonl) points) $(date -u +%FT%TZ)"
  timeout -k 10 "${SERVING_TIMEOUT_S:-540}" python3 workers/torch/serving_run.py --points /tmp/points.jsonl \
    >> "$OUT/serving.jsonl" 2>> "$OUT/serving.err"
  echo "exit $?"; tail -3 "$OUT/serving.err"
done
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "error" in r: print(r["modelId"], r["clients"], r["isl"], r["osl"], r["error"]); continue
    print("%-34s c%-3d %5d/%-4d ttft %8.1f tpot %6.2f | decode %5d x %6.2f ms (gpu %6.2f) prefill %5d x %6.2f ms (gpu %6.2f) | %d req %.1f s %s" % (
          r["modelId"], r["clients"], r["isl"], r["osl"], r["mean_ttft_ms"], r["mean_tpot_ms"], r["decode_steps"],
          r["decode_mean_wall_ms"] or 0, r["decode_mean_gpu_ms"] or 0, r["prefill_steps"], r["prefill_mean_wall_ms"] or 0,
          r["prefill_mean_gpu_ms"] or 0, r["requests"], r["duration_s"], r.get("sdpa_backends")))
' "$OUT/serving.jsonl"
python3 scripts/device/serving-csv.py "$OUT/serving.jsonl" > "$OUT/serving.csv"
echo "=== done $(date -u +%FT%TZ)"
