#!/usr/bin/env bash
# Device call on nvidia-h200: decode attention as the torch tables time it vs as the serving loop
# runs it (workers/torch/decode_attention_check.py) -> $OUT/decode_attention.jsonl (printed).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
run_worker_check decode_attention workers/torch/decode_attention_check.py "${CHECK_TIMEOUT_S:-300}"
python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for r in rows:
    print("%-14s b%-4d kv%-5d %-10s %-9s %s" % (r["shape"], r["batch_size"], r["kv"], r["layout"], r["backend"],
          "%.4f ms" % r["latency_ms"] if "latency_ms" in r else r.get("error")))
' "$OUT/decode_attention.jsonl"
