#!/usr/bin/env bash
# Device call 5: re-measure context attention as GPU time (CUDA-graph replay, eager time kept in
# the checkpoint) for every case of the three earlier plans, into a fresh tree, then merge it
# over the main tables (the later input wins).
set -uo pipefail
source scripts/device/common.sh
C="$W/ctx"
T=${CTX_S:-420}
start=$(date +%s)
left() { echo $(( T - ($(date +%s) - start) )); }
timeout -k 60 "$(left)" $IP collect --model all --tp 1,2,4,8 --ops context_attention --skip-existing --out "$C" --checkpoint-dir "$C/.checkpoints/catalog" --no-charts > "$W/run-m.log" 2>&1; echo "catalog exit $?"; tail -6 "$W/run-m.log"
timeout -k 60 "$(left)" $IP collect $MODEL_ARGS --ops context_attention --skip-existing --out "$C" --checkpoint-dir "$C/.checkpoints/nine" --no-charts > "$W/run-n.log" 2>&1; echo "nine-model exit $?"; tail -4 "$W/run-n.log"
timeout -k 60 "$(left)" $IP collect --ops context_attention --grid compact --shuffle --limit 250 --skip-existing --out "$C" --checkpoint-dir "$C/.checkpoints/sample" --no-charts > "$W/run-o.log" 2>&1; echo "sample exit $?"; tail -4 "$W/run-o.log"
$IP collect merge "$W/out" "$C" --out "$W/merged" 2>&1 | tail -10
$IP db validate "$W/merged" 2>&1 | tail -12
save_state
