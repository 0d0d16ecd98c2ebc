#!/usr/bin/env bash
# Device call on a multi-GPU kind (nvidia-h200-x2, -x4, -x8): NCCL collectives over every GPU
# count up to the machine's (all_reduce, all_gather, reduce_scatter, alltoall; 512 B to 512 MiB
# doubling; bf16 and int8). NVLink multicast off (common.sh). Resumable: rerun to continue.
set -uo pipefail
source scripts/device/common.sh
nvidia-smi topo -m 2>&1 | head -5
python3 -c 'import torch; print("gpus", torch.cuda.device_count(), torch.cuda.nccl.version())'
echo "=== nccl $(date -u +%FT%TZ)"
GPUS=$(python3 -c 'import torch; print(",".join(str(i) for i in range(torch.cuda.device_count())))')
echo "gpus $GPUS"
timeout -k 60 420 $IP collect --ops nccl --gpus "$GPUS" --out "$W/out" --checkpoint-dir "$W/out/.checkpoints/torch-nccl" --resume > "$W/run-nccl.log" 2>&1; echo "exit $?"
tail -12 "$W/run-nccl.log"
f=$(ls "$W"/out/*/torch/*/nccl_perf.txt 2>/dev/null | head -1); [ -n "$f" ] && { wc -l "$f"; grep -E ",(536870912|268435456|512|256)," "$f" | head -20; }
tail -20 "$W"/out/.checkpoints/torch-nccl/logs/*.log 2>/dev/null
save_state
