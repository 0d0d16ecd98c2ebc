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
run_reference_points "$NAME" "${REFERENCE_POINTS:-scripts/device/mixed-points.jsonl}" "${REFERENCE_TIMEOUT_S:-420}" python3
reference_steps_csv "$NAME"
echo "=== done $(date -u +%FT%TZ)"
