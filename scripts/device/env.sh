# Environment of every device script (sourced): NCCL and symmetric memory without NVLink
# multicast (the lent machines leave it off), unbuffered Python, and the $OUT folder the device
# run sends back (created).
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1 PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
