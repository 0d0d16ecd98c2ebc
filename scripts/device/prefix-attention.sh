#!/usr/bin/env bash
# Device call on nvidia-h200: prefill attention after a cached prefix as the database prices it
# (the no-prefix table row, SOL-scaled) vs as the serving loop runs it
# (workers/torch/prefix_attention_check.py) -> $OUT/prefix_attention.jsonl (printed).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
run_worker_check prefix_attention workers/torch/prefix_attention_check.py "${CHECK_TIMEOUT_S:-300}"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    what = r.get("variant", "sol_scaled")
    value = r.get("latency_ms", r.get("sol_scaled_ms"))
    print("%-14s take %-5d prefix %-5d %-14s %s" % (r["shape"], r["take"], r["prefix"], what,
          "%.4f ms" % value if value is not None else r.get("error")))
' "$OUT/prefix_attention.jsonl"
