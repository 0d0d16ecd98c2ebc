#!/usr/bin/env bash
# Device call 3: re-package the earlier campaigns with the final collector (every case already
# done: no GPU work, only tables/meta/summary/charts/gates), then the catalog-driven plan (every
# model of data/models at TP 1/2/4/8, cases already in the tables skipped), then a re-measured
# random sample of the model-driven plan into a separate tree (compared offline).
set -uo pipefail
source scripts/device/common.sh
CATALOG_S=${CATALOG_S:-400}
echo "=== repackage $(date -u +%FT%TZ)"
timeout -k 60 120 $IP collect $MODEL_ARGS --out "$W/out" --resume > "$W/run-g.log" 2>&1; echo "model-driven exit $?"; grep -E "planned|quality|sanity|fail:" "$W/run-g.log" | head -12
timeout -k 60 60 $IP collect --ops gemm --grid compact --out "$W/out" --checkpoint-dir "$W/out/.checkpoints/torch-gemm-compact" --resume --no-charts > "$W/run-h.log" 2>&1; echo "gemm compact exit $?"
timeout -k 60 60 $IP collect --ops context_attention,generation_attention --grid compact --shuffle --limit 250 --out "$W/out" --checkpoint-dir "$W/out/.checkpoints/torch-attn-sample" --resume --no-charts > "$W/run-i.log" 2>&1; echo "attention sample exit $?"
echo "=== catalog-driven (every catalog model, TP 1,2,4,8; --skip-existing) $(date -u +%FT%TZ)"
$IP collect --model all --tp 1,2,4,8 --ops gemm,context_attention,generation_attention,moe,elementwise --plan-only | tail -9
timeout -k 90 "$CATALOG_S" $IP collect --model all --tp 1,2,4,8 --ops gemm,context_attention,generation_attention,moe,elementwise --skip-existing --resume --out "$W/out" --checkpoint-dir "$W/out/.checkpoints/torch-catalog" > "$W/run-j.log" 2>&1; echo "catalog exit $?"
grep -E "planned|stopping" "$W/run-j.log"; tail -14 "$W/run-j.log"
echo "=== re-measure sample $(date -u +%FT%TZ)"
timeout -k 30 90 $IP collect $MODEL_ARGS --shuffle --seed 11 --limit 40 --out "$W/remeasure" --no-charts > "$W/run-k.log" 2>&1; echo "remeasure exit $?"; tail -9 "$W/run-k.log"
save_state
