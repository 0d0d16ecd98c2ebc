#!/usr/bin/env bash
# Device call 2: finish the model-driven campaign (--resume-retry-failed after a worker fix),
# the generic compact GEMM grid (orchestration overhead measured on it), samples of the generic
# attention grids, a power-measurement smoke, and the reference-runner steps.
set -uo pipefail
source scripts/device/common.sh
CK="$W/out/.checkpoints/torch"
echo "counts before:"; count_done "$CK"
echo "=== model-driven: --resume-retry-failed $(date -u +%FT%TZ)"
timeout -k 60 120 $IP collect $MODEL_ARGS --out "$W/out" --resume-retry-failed > "$W/run-c.log" 2>&1; echo "exit $?"
grep -E "planned" "$W/run-c.log"; tail -12 "$W/run-c.log"
echo "=== generic compact GEMM grid $(date -u +%FT%TZ)"
timeout -k 60 150 $IP collect --ops gemm --grid compact --out "$W/out" --checkpoint-dir "$W/out/.checkpoints/torch-gemm-compact" --resume > "$W/run-d.log" 2>&1; echo "exit $?"
tail -8 "$W/run-d.log"
echo "=== generic attention grid samples $(date -u +%FT%TZ)"
timeout -k 60 150 $IP collect --ops context_attention,generation_attention --grid compact --shuffle --limit 250 --out "$W/out" --checkpoint-dir "$W/out/.checkpoints/torch-attn-sample" --resume > "$W/run-e.log" 2>&1; echo "exit $?"
tail -8 "$W/run-e.log"
echo "=== power smoke $(date -u +%FT%TZ)"
timeout -k 30 60 $IP collect --ops gemm,elementwise --smoke --measure-power --out "$W/power" > "$W/run-f.log" 2>&1; echo "exit $?"
tail -6 "$W/run-f.log"; cat "$W"/power/*/torch/*/gemm_perf.txt 2>/dev/null | head -8
echo "=== reference runner $(date -u +%FT%TZ)"
timeout -k 30 170 python3 workers/torch/reference_model.py --points scripts/device/reference-points.jsonl > "$W/reference.jsonl" 2> "$W/reference.err"; echo "exit $?"
cat "$W/reference.jsonl"; tail -5 "$W/reference.err"
save_state
