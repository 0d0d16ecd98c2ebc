"""Case parameters per op: validated and normalised without torch (the parent sends plain JSON)."""

from protocol import CaseError, UnsupportedCase

MOE_DISTRIBUTIONS = ("balanced", "power_law_1.01", "power_law_1.2", "random")
ELEMENTWISE_OPS = ("rms_norm", "silu_mul", "add", "rope", "embedding", "kv_write")
NCCL_OPS = ("all_reduce", "all_gather", "reduce_scatter", "alltoall")

# op -> (integer fields, string fields)
_FIELDS = {
    "gemm": (("m", "n", "k"), ("gemm_dtype",)),
    "context_attention": (
        ("batch_size", "isl", "num_heads", "num_key_value_heads", "head_dim", "window_size", "beam_width", "step"),
        ("attn_dtype", "kv_cache_dtype"),
    ),
    "generation_attention": (
        ("batch_size", "isl", "num_heads", "num_key_value_heads", "head_dim", "window_size", "beam_width", "step"),
        ("attn_dtype", "kv_cache_dtype"),
    ),
    "moe": (
        ("num_tokens", "hidden_size", "inter_size", "topk", "num_experts", "moe_tp_size", "moe_ep_size"),
        ("moe_dtype", "distribution"),
    ),
    "elementwise": (("num_tokens", "width"), ("op_name", "elementwise_dtype")),
    "nccl": (("num_gpus", "message_size"), ("op_name", "nccl_dtype")),
}

OPS = tuple(_FIELDS)


def parse_case(op, params):
    """Return a normalised copy of params; ValueError for malformed, UnsupportedCase for unsupported."""
    if op not in _FIELDS:
        raise CaseError(f"unknown op {op!r}; known: {', '.join(OPS)}")
    ints, strs = _FIELDS[op]
    case = {}
    for name in ints:
        value = params.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise CaseError(f"{op} case field {name!r} must be an integer, got {value!r}")
        if value < 0:
            raise CaseError(f"{op} case field {name!r} must be >= 0, got {value}")
        case[name] = value
    for name in strs:
        value = params.get(name)
        if not isinstance(value, str):
            raise CaseError(f"{op} case field {name!r} must be a string, got {value!r}")
        case[name] = value
    _check(op, case)
    return case


def _positive(case, *names):
    for name in names:
        if case[name] <= 0:
            raise CaseError(f"case field {name!r} must be > 0, got {case[name]}")


def _check(op, case):
    if op == "gemm":
        _positive(case, "m", "n", "k")
        if case["gemm_dtype"] not in ("bfloat16", "float16", "fp8"):
            raise UnsupportedCase(f"gemm_dtype {case['gemm_dtype']} is not measured by the torch backend")
        if case["gemm_dtype"] == "fp8" and (case["n"] % 16 or case["k"] % 16):
            raise UnsupportedCase("fp8 gemm needs n and k multiples of 16 (torch._scaled_mm)")
    elif op in ("context_attention", "generation_attention"):
        _positive(case, "batch_size", "isl", "num_heads", "head_dim")
        if case["num_key_value_heads"] == 0:
            case["num_key_value_heads"] = case["num_heads"]
        if case["num_heads"] % case["num_key_value_heads"]:
            raise CaseError("num_heads must be a multiple of num_key_value_heads")
        if case["beam_width"] not in (0, 1):
            raise UnsupportedCase("beam_width > 1 is not measured by the torch backend")
        if case["attn_dtype"] not in ("bfloat16", "float16") or case["kv_cache_dtype"] != case["attn_dtype"]:
            raise UnsupportedCase("torch SDPA is measured with bf16/fp16 q and kv cache only")
        if op == "context_attention" and case["step"] != 0:
            raise CaseError("context_attention rows have step = 0 (no prefix)")
        if op == "generation_attention" and case["isl"] != 1:
            raise CaseError("generation_attention rows have isl = 1 (kv length = isl + step)")
    elif op == "moe":
        _positive(case, "num_tokens", "hidden_size", "inter_size", "topk", "num_experts", "moe_tp_size", "moe_ep_size")
        if case["moe_dtype"] != "bfloat16":
            raise UnsupportedCase(f"moe_dtype {case['moe_dtype']} is not measured by the torch backend")
        if case["distribution"] not in MOE_DISTRIBUTIONS:
            raise CaseError(f"unknown distribution {case['distribution']!r}")
        if case["num_experts"] % case["moe_ep_size"]:
            raise CaseError("num_experts must be divisible by moe_ep_size")
        if case["inter_size"] % case["moe_tp_size"]:
            raise CaseError("inter_size must be divisible by moe_tp_size")
        if case["topk"] > case["num_experts"]:
            raise CaseError("topk must be <= num_experts")
        if (case["inter_size"] // case["moe_tp_size"]) % 8 or case["hidden_size"] % 8:
            raise UnsupportedCase("torch._grouped_mm needs 16-byte aligned hidden and inter sizes")
    elif op == "elementwise":
        _positive(case, "num_tokens", "width")
        if case["op_name"] not in ELEMENTWISE_OPS:
            raise CaseError(f"unknown elementwise op {case['op_name']!r}")
        if case["elementwise_dtype"] not in ("bfloat16", "float16"):
            raise UnsupportedCase("elementwise ops are measured in bf16/fp16 only")
        if case["op_name"] == "rope" and case["width"] % 64:
            raise CaseError("rope width is heads * head_dim (64 or 128): must be a multiple of 64")
    elif op == "nccl":
        _positive(case, "num_gpus", "message_size")
        if case["op_name"] not in NCCL_OPS:
            raise CaseError(f"unknown nccl op {case['op_name']!r}")
        if case["nccl_dtype"] not in ("bfloat16", "float16", "int8", "float32", "fp8"):
            raise UnsupportedCase(f"nccl_dtype {case['nccl_dtype']} is not measured")
        if case["num_gpus"] < 2:
            raise UnsupportedCase("nccl collectives need at least 2 GPUs")
