#!/usr/bin/env bash
# Device call on nvidia-h200-x2: the 2-GPU NCCL table again, each collective now timed as a
# CUDA-graph replay (what decode steps run; the eager time kept per case). The shipped collection
# seeds the output folder, so the new rows replace the old ones by key and the campaign is
# recorded beside the earlier ones. Carry .carry/x, .carry/node.xz and .carry/git-sha.
set -uo pipefail
source scripts/device/common.sh
T=h200_sxm/torch/2.11.0
seed_collection "$T"
nvidia-smi topo -m 2>&1 | head -4
echo "=== nccl (graph) $(date -u +%FT%TZ)"
timeout -k 60 ${CAMPAIGN_S:-420} $IP collect --ops nccl --gpus 0,1 --out "$W/out" \
  --checkpoint-dir "$W/out/.checkpoints/torch-nccl-graph" > "$W/run-nccl-graph.log" 2>&1
echo "exit $?"
tail -12 "$W/run-nccl-graph.log"
send_back "$T" nccl_perf.txt collection_meta.yaml collection_summary.json quality_gates.json
cp "$W/run-nccl-graph.log" "$OUT/"
grep -E ",(32768|262144|4194304)," "$W/out/$T/nccl_perf.txt" | grep all_reduce | head -8
echo "=== done $(date -u +%FT%TZ)"
