#!/usr/bin/env bash
# Device call 1: model-driven campaign on one H200 with a deliberate kill -9 of the orchestrator
# after KILL_AFTER_S, a count of finished cases, then --resume until RESUME_S; state goes to $OUT.
set -uo pipefail
source scripts/device/common.sh
KILL_AFTER_S=${KILL_AFTER_S:-60}
RESUME_S=${RESUME_S:-420}
CK="$W/out/.checkpoints/torch"
$IP collect $MODEL_ARGS --plan-only 2>&1 | tee "$OUT/plan.txt"
echo "=== run A (kill -9 after ${KILL_AFTER_S}s) $(date -u +%FT%TZ)"
$IP collect $MODEL_ARGS --out "$W/out" > "$W/run-a.log" 2>&1 &
PID=$!
sleep "$KILL_AFTER_S"
kill -9 "$PID"; wait "$PID" 2>/dev/null
echo "killed orchestrator pid $PID with SIGKILL at $(date -u +%FT%TZ)"
sleep 3
echo "worker processes left: $(pgrep -fc workers/torch/worker.py || true)"
echo "counts after kill -9:"; count_done "$CK" | tee "$OUT/counts-after-kill.txt"
tail -3 "$W/run-a.log"
echo "=== run B (--resume, stops at ${RESUME_S}s) $(date -u +%FT%TZ)"
timeout -k 90 "$RESUME_S" $IP collect $MODEL_ARGS --out "$W/out" --resume > "$W/run-b.log" 2>&1
echo "run B exit $?"
grep -E "planned|stopping" "$W/run-b.log" | head -20
tail -15 "$W/run-b.log"
echo "counts after run B:"; count_done "$CK" | tee "$OUT/counts-after-b.txt"
save_state
