#!/usr/bin/env bash
# Device call on nvidia-h200: continuous-batching ("mixed") whole-model steps, one prompt chunk
# beside a batch of decodes (scripts/device/mixed-points.jsonl), timed by
# workers/torch/reference_model.py -> mixed.jsonl and the CSV `inferplan silicon reference` reads
# (data/reference/h200_sxm_torch_<version>_mixed_steps.csv).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.limit --format=csv
echo "=== mixed steps $(date -u +%FT%TZ)"
timeout -k 10 ${REFERENCE_TIMEOUT_S:-420} python3 workers/torch/reference_model.py \
  --points "${REFERENCE_POINTS:-scripts/device/mixed-points.jsonl}" > "$OUT/mixed.jsonl" 2> "$OUT/mixed.err"
echo "exit $?"; tail -3 "$OUT/mixed.err"
python3 scripts/device/reference-csv.py "$OUT/mixed.jsonl" > "$OUT/mixed_steps.csv"
cat "$OUT/mixed_steps.csv"
echo "=== done $(date -u +%FT%TZ)"
