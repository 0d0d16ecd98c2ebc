#!/usr/bin/env bash
# Device call on nvidia-h200: host enqueue time of each collector kernel
# (workers/torch/host_launch.py -> host_launch.jsonl) and the whole-model reference steps of
# scripts/device/reference-points.jsonl (workers/torch/reference_model.py -> reference.jsonl and
# the CSV data/reference/h200_sxm_torch_<version>_reference_steps.csv is made of).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.limit --format=csv
echo "=== host launch $(date -u +%FT%TZ)"
timeout -k 10 120 python3 workers/torch/host_launch.py > "$OUT/host_launch.jsonl" 2> "$OUT/host_launch.err"
echo "exit $?"; tail -1 "$OUT/host_launch.jsonl"; tail -3 "$OUT/host_launch.err"
echo "=== reference steps $(date -u +%FT%TZ)"
run_reference_points reference "${REFERENCE_POINTS:-scripts/device/reference-points.jsonl}" "${REFERENCE_TIMEOUT_S:-300}" python3
reference_steps_csv reference
echo "=== done $(date -u +%FT%TZ)"
