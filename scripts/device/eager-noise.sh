#!/usr/bin/env bash
# Device call on nvidia-h200: how much the eager (host-bound) prefill steps vary, with Python's
# garbage collector as is and frozen (gc.freeze + disable while timing, as serving engines run),
# each twice, alternating (scripts/device/eager-noise-points.jsonl -> eager_noise.jsonl).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
nproc; grep -m1 "model name" /proc/cpuinfo; uptime
run_reference_points eager_noise scripts/device/eager-noise-points.jsonl 300 python3
python3 - "$OUT/eager_noise.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "error" in r: print(r["error"]); continue
    print(r["model"], r["isl"], r["gc"], "eager", round(r["eager_latency_ms"], 2), "graph", round(r["graph_latency_ms"], 2),
          "queued", round(r["queued_eager_ms"], 2), "host", r["host_enqueue_ms"], "samples", r["eager_samples_ms"])
PY
