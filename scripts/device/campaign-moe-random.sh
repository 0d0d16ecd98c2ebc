#!/usr/bin/env bash
# Device call on nvidia-h200: the MoE table's rows under `random` routing (each token picks its
# top-k experts independently and uniformly, the estimator's default) for every MoE shape the
# catalog needs at TP 1/2/4/8. The shipped collection (data/collected) seeds the output folder,
# so --skip-existing runs only the new cases and the campaign is recorded beside the earlier
# ones; quality gates and charts run over the whole folder. Carry .carry/x, .carry/node.xz and
# .carry/git-sha only (no campaign state: the seed is the shipped data).
set -uo pipefail
source scripts/device/common.sh
T=h200_sxm/torch/2.11.0
seed_collection "$T"
$IP collect --model all --tp 1,2,4,8 --ops moe --plan-only | tail -4
echo "=== moe random $(date -u +%FT%TZ)"
timeout -k 60 ${CAMPAIGN_S:-480} $IP collect --model all --tp 1,2,4,8 --ops moe --skip-existing --resume \
  --out "$W/out" --checkpoint-dir "$W/out/.checkpoints/torch-moe-random" > "$W/run-moe-random.log" 2>&1
echo "exit $?"
tail -15 "$W/run-moe-random.log"
send_back "$T" moe_perf.txt collection_meta.yaml collection_summary.json quality_gates.json charts/moe_latency.svg charts/moe_sol.svg
cp "$W/run-moe-random.log" "$OUT/"
ls -la "$OUT"
echo "=== done $(date -u +%FT%TZ)"
