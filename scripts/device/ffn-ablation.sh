#!/usr/bin/env bash
# Device call on nvidia-h200: decode reference steps with and without their MLP / router + MoE
# (scripts/device/ffn-ablation-points.jsonl -> ffn_ablation.jsonl): the difference of the graph
# replays is what the FFN costs inside a step, to compare with the tables' per-op latencies.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
run_reference_points ffn_ablation scripts/device/ffn-ablation-points.jsonl 300 python3
python3 - "$OUT/ffn_ablation.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "error" in r: print(r["error"]); continue
    print(r["model"], r["batch"], r["kv"], "skip_ffn", r["skip_ffn"], "graph", round(r["graph_latency_ms"], 4),
          "eager", round(r["eager_latency_ms"], 3), "queued", round(r["queued_eager_ms"], 3))
PY
