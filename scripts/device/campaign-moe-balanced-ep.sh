#!/usr/bin/env bash
# Device call on nvidia-h200: the MoE table's balanced rows under expert parallelism again, with
# the round-robin picks alternating between the EP ranks' expert blocks (each rank gets T k / ep
# of them at any T, as a balanced router spreads them; the first rows put every pick of a small
# batch on the first rank's experts). The shipped collection seeds the output folder without
# those rows, so --skip-existing re-measures exactly them. Carry .carry/x, .carry/node.xz and
# .carry/git-sha only.
set -uo pipefail
source scripts/device/common.sh
T=h200_sxm/torch/2.11.0
seed_collection "$T"
python3 - "$W/out/$T/moe_perf.txt" <<'PY'
import csv, sys
path = sys.argv[1]
rows = list(csv.DictReader(open(path)))
keep = [r for r in rows if not (r["distribution"] == "balanced" and int(r["moe_ep_size"]) > 1)]
with open(path, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(keep)
print(f"seed moe rows {len(rows)} -> {len(keep)} (balanced EP > 1 rows to re-measure: {len(rows) - len(keep)})")
PY
echo "=== moe balanced EP $(date -u +%FT%TZ)"
timeout -k 60 ${CAMPAIGN_S:-480} $IP collect --model all --tp 1,2,4,8 --ops moe --skip-existing --resume \
  --out "$W/out" --checkpoint-dir "$W/out/.checkpoints/torch-moe-balanced-ep" > "$W/run-moe-balanced-ep.log" 2>&1
echo "exit $?"
tail -8 "$W/run-moe-balanced-ep.log"
send_back "$T" moe_perf.txt collection_meta.yaml collection_summary.json quality_gates.json charts/moe_latency.svg charts/moe_sol.svg
cp "$W/run-moe-balanced-ep.log" "$OUT/"
echo "=== done $(date -u +%FT%TZ)"
