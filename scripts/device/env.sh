# Environment of every device script (sourced): NCCL and symmetric memory without NVLink
# multicast (the lent machines leave it off), unbuffered Python, and the $OUT folder the device
# run sends back (created).
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1 PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
# Time the whole-model reference steps of a points file: run_reference_points NAME POINTS TIMEOUT_S
# LAUNCHER... (python3, or python3 -m torch.distributed.run ... for several GPUs) -> $OUT/NAME.jsonl
# and NAME.err; prints the exit status and the end of the error log.
run_reference_points() {
  local name=$1 points=$2 timeout_s=$3
  shift 3
  timeout -k 10 "$timeout_s" "$@" workers/torch/reference_model.py --points "$points" \
    > "$OUT/$name.jsonl" 2> "$OUT/$name.err"
  echo "exit $?"; tail -3 "$OUT/$name.err"
}
# The CSV `inferplan silicon reference` reads, made of $OUT/NAME.jsonl -> $OUT/NAME_steps.csv (printed).
reference_steps_csv() {
  python3 scripts/device/reference-csv.py "$OUT/$1.jsonl" > "$OUT/$1_steps.csv"
  cat "$OUT/$1_steps.csv"
}
# Run one worker check script with the GPU's clocks noted first: run_worker_check NAME SCRIPT
# TIMEOUT_S -> $OUT/NAME.jsonl and NAME.err; prints the exit status and the end of the error log.
run_worker_check() {
  local name=$1 script=$2 timeout_s=$3
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv
  timeout -k 10 "$timeout_s" python3 "$script" > "$OUT/$name.jsonl" 2> "$OUT/$name.err"
  echo "exit $?"; tail -3 "$OUT/$name.err"
}
