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
collect_moe_campaign "$T" moe-random
ls -la "$OUT"
echo "=== done $(date -u +%FT%TZ)"
