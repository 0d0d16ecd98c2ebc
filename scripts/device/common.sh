# Shared setup for campaign device runs: env.sh (safe NCCL env, $OUT), node (carried as .carry/node.xz when absent),
# the bundled CLI (.carry/x/inferplan.mjs), and campaign state carried between calls.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if command -v node >/dev/null 2>&1; then NODE=node; else
  xz -T4 -dc .carry/node.xz > /tmp/node && chmod +x /tmp/node && NODE=/tmp/node; fi
IP="$NODE .carry/x/inferplan.mjs"
export INFERPLAN_GIT_SHA=$(cat .carry/git-sha 2>/dev/null || echo unknown)
W=/tmp/campaign
mkdir -p "$W"
if [ -f .carry/state.tar.gz ]; then tar -xzf .carry/state.tar.gz -C "$W"; echo "state restored: $(du -sh $W | cut -f1)"; fi
# The nine models of the first campaigns, by catalog short name (shapes from the models layer).
MODELS="Llama-3.1-8B,Llama-3.1-70B,Qwen3-8B,Qwen3-32B,Qwen3-30B-A3B,Qwen3-235B-A22B,Mixtral-8x7B-v0.1,GPT-OSS-120B,GPT-OSS-20B"
MODEL_ARGS_OPS="--ops gemm,context_attention,generation_attention,moe,elementwise"
MODEL_ARGS="--model $MODELS --tp 1,2,4,8 $MODEL_ARGS_OPS"
# Count finished case ids per op from checkpoints + journals (what a resume will skip).
count_done() {
  python3 - "$1" <<'PY'
import json, os, sys
d = sys.argv[1]
for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
    if not name.endswith('.checkpoint.json'): continue
    op = name.split('.')[0]
    ck = json.load(open(os.path.join(d, name)))
    done, failed = set(ck['done']), set(ck['failed'])
    j = os.path.join(d, op + '.journal.jsonl')
    lines = open(j).read().splitlines() if os.path.exists(j) else []
    for line in lines:
        try: e = json.loads(line)
        except Exception: continue
        if e['t'] == 'done': done.add(e['row']['id']); failed.discard(e['row']['id'])
        elif e['t'] == 'failed' and e['failure']['id'] not in done: failed.add(e['failure']['id'])
    print(f"  {op}: done {len(done)} failed {len(failed)} (journal lines {len(lines)})")
PY
}
# At most 8 files come back from $OUT: logs travel inside the state tarball.
save_state() { tar -czf "$OUT/state.tar.gz" -C "$W" . ; ls -la "$OUT"; }
# Seed the output folder with the shipped collection of table folder $1 (e.g. h200_sxm/torch/2.11.0):
# a campaign there merges its rows by key and is recorded beside the earlier campaigns.
seed_collection() { mkdir -p "$W/out/$1"; cp -r "data/collected/$1/." "$W/out/$1/"; }
# Send back files of table folder $1 (paths below it) through $OUT.
send_back() { local t=$1; shift; for f in "$@"; do cp "$W/out/$t/$f" "$OUT/" 2>/dev/null || echo "missing $f"; done; }
# Collect the MoE table of table folder $1 (seeded) for every catalog model at TP 1/2/4/8, running only
# the cases not there yet, under checkpoint torch-$2; log $W/run-$2.log (end printed, sent back with
# the table's files). CAMPAIGN_S bounds it.
collect_moe_campaign() {
  local t=$1 name=$2
  echo "=== $name $(date -u +%FT%TZ)"
  timeout -k 60 "${CAMPAIGN_S:-480}" $IP collect --model all --tp 1,2,4,8 --ops moe --skip-existing --resume \
    --out "$W/out" --checkpoint-dir "$W/out/.checkpoints/torch-$name" > "$W/run-$name.log" 2>&1
  echo "exit $?"
  tail -15 "$W/run-$name.log"
  send_back "$t" moe_perf.txt collection_meta.yaml collection_summary.json quality_gates.json \
    charts/moe_latency.svg charts/moe_sol.svg
  cp "$W/run-$name.log" "$OUT/"
}
