#!/usr/bin/env bash
# Device call 4: finish the catalog-driven plan of call 3 (--resume; it stopped on its time limit).
set -uo pipefail
source scripts/device/common.sh
timeout -k 90 "${CATALOG_S:-300}" $IP collect --model all --tp 1,2,4,8 --ops gemm,context_attention,generation_attention,moe,elementwise --skip-existing --resume --out "$W/out" --checkpoint-dir "$W/out/.checkpoints/torch-catalog" > "$W/run-l.log" 2>&1; echo "catalog exit $?"
grep -E "planned|stopping" "$W/run-l.log"; tail -14 "$W/run-l.log"
save_state
