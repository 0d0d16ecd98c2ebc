#!/usr/bin/env bash
# Device smoke: environment, then every op of the torch worker through its real protocol.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
{ which node || echo "node: absent"; nvidia-smi --query-gpu=name,driver_version,memory.total,power.limit,clocks.sm --format=csv;
  python3 -c 'import torch,sys; print(sys.version); print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))'; } 2>&1 | tee "$OUT/env.txt"
python3 workers/torch/smoke.py "$OUT/smoke.jsonl" 2>&1 | tee "$OUT/smoke.log"
