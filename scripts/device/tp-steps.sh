#!/usr/bin/env bash
# Device call on nvidia-h200-x2: whole-model reference steps at TP 2 with real NCCL all-reduces
# (one process per GPU through torch.distributed.run; points scripts/device/tp2-points.jsonl),
# -> tp2.jsonl and the CSV `inferplan silicon reference` reads
# (data/reference/h200_sxm_torch_<version>_tp2_steps.csv). NVLink multicast off (env.sh). Other
# points: REFERENCE_POINTS=FILE STEPS_NAME=NAME (e.g. scripts/device/tp2-moe-points.jsonl).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
NAME=${STEPS_NAME:-tp2}
GPUS=$(python3 -c 'import torch; print(torch.cuda.device_count())')
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv
echo "=== tp steps on $GPUS GPUs $(date -u +%FT%TZ)"
run_reference_points "$NAME" "${REFERENCE_POINTS:-scripts/device/tp2-points.jsonl}" "${REFERENCE_TIMEOUT_S:-420}" \
  python3 -m torch.distributed.run --standalone --nproc_per_node "$GPUS"
reference_steps_csv "$NAME"
echo "=== done $(date -u +%FT%TZ)"
