#!/usr/bin/env bash
# Device call on nvidia-h200: continuous-batching ("mixed") whole-model steps, one prompt chunk
# beside a batch of decodes (scripts/device/mixed-points.jsonl), timed by
# workers/torch/reference_model.py -> mixed.jsonl and the CSV `inferplan silicon reference` reads
# (data/reference/h200_sxm_torch_<version>_mixed_steps.csv). Other points: REFERENCE_POINTS=FILE and
# STEPS_NAME=NAME (files NAME.jsonl / NAME_steps.csv), e.g. scripts/device/window-points.jsonl.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
NAME=${STEPS_NAME:-mixed}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.limit --format=csv
echo "=== mixed steps $(date -u +%FT%TZ)"
timeout -k 10 ${REFERENCE_TIMEOUT_S:-420} python3 workers/torch/reference_model.py \
  --points "${REFERENCE_POINTS:-scripts/device/mixed-points.jsonl}" > "$OUT/$NAME.jsonl" 2> "$OUT/$NAME.err"
echo "exit $?"; tail -3 "$OUT/$NAME.err"
python3 scripts/device/reference-csv.py "$OUT/$NAME.jsonl" > "$OUT/${NAME}_steps.csv"
cat "$OUT/${NAME}_steps.csv"
echo "=== done $(date -u +%FT%TZ)"
