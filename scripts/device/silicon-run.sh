#!/usr/bin/env bash
# Device call on nvidia-h200: `inferplan silicon run` end to end (measure a whole reference step
# on the GPU beside its prediction from the embedded torch tables), for a dense and a MoE model.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if command -v node >/dev/null 2>&1; then NODE=node; else
  xz -T4 -dc .carry/node.xz > /tmp/node && chmod +x /tmp/node && NODE=/tmp/node; fi
IP="$NODE .carry/x/inferplan.mjs"
for args in \
  "--model meta-llama/Llama-3.1-8B --phase prefill --batch 1 --isl 2048" \
  "--model meta-llama/Llama-3.1-8B --phase decode --batch 64 --kv 2048" \
  "--model Qwen/Qwen3-30B-A3B --phase prefill --batch 1 --isl 2048" \
  "--model Qwen/Qwen3-30B-A3B --phase decode --batch 64 --kv 2048"; do
  echo "== silicon run $args"
  $IP --json silicon run $args | tee -a "$OUT/silicon_run.jsonl"
done
