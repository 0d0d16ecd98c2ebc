#!/usr/bin/env bash
# Device call on nvidia-h200: the MoE op under balanced vs independent uniform routing
# (workers/torch/moe_routing_check.py -> data/reference/h200_sxm_moe_routing.jsonl).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.limit --format=csv
python3 -c "import torch; print('torch', torch.__version__)"
timeout -k 10 ${ROUTING_TIMEOUT_S:-420} python3 workers/torch/moe_routing_check.py --seeds 2 \
  > "$OUT/moe_routing.jsonl" 2> "$OUT/moe_routing.err"
echo "exit $?"; wc -l "$OUT/moe_routing.jsonl"; tail -3 "$OUT/moe_routing.err"
