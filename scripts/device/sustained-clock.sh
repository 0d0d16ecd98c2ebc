#!/usr/bin/env bash
# Device call on nvidia-h200: burst vs sustained GEMM time (workers/torch/sustained_clock.py).
set -uo pipefail
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1 PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,power.limit --format=csv
for run in 1 2; do python3 workers/torch/sustained_clock.py 5 | tee -a "${OUT:-/tmp}/sustained_clock.jsonl"; done
