"""The kernels each torch table times, exactly as torch-backend.md fixes them.

Each builder takes a parsed case and returns a Kernel: step(i) runs one call (i picks a rotating
input copy); every op is timed as CUDA-graph replays (GPU time), eager time riding along."""

import math

L2_BYTES_DEFAULT = 50 * 1024 * 1024
FP8_MAX = 448.0
ROPE_HEAD_DIM = 128
EMBEDDING_VOCAB = 128256  # Llama-3 vocabulary: the gather cost barely depends on it


class Kernel:
    def __init__(self, step, kernel_source, info=None, keep=None):
        self.step = step
        self.kernel_source = kernel_source
        self.info = info or {}
        self._keep = keep  # tensors that must outlive the timing (captured by graphs)


def _torch():
    import torch

    return torch


def _dtype(torch, name):
    return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[name]


def _l2_bytes(torch):
    try:
        return int(torch.cuda.get_device_properties(torch.cuda.current_device()).L2_cache_size)
    except Exception:  # noqa: BLE001 - older torch builds lack the field
        return L2_BYTES_DEFAULT


def _copies_to_defeat_l2(torch, bytes_per_copy, cap=128):
    """Enough copies that cycling through them touches 3x the L2 when one copy fits in it."""
    l2 = _l2_bytes(torch)
    if bytes_per_copy >= 2 * l2:
        return 1
    return int(min(cap, math.ceil(3 * l2 / max(bytes_per_copy, 1))))


def fp8_rowwise_weight(torch, w):
    """[n, k] bf16 -> (fp8 weight, [1, n] fp32 per-row scale): the fp8 GEMM case's weights."""
    scale = (w.abs().amax(dim=1, keepdim=True).float() / FP8_MAX).clamp(min=1e-12)
    return (w / scale).to(torch.float8_e4m3fn), scale.t().contiguous()


def fp8_rowwise_linear(torch, x, wq, w_scale):
    """x @ w.T in fp8: x quantised per row on every call (part of the timed region,
    torch-backend.md), then torch._scaled_mm with row-wise scales, bf16 out."""
    x_scale = (x.abs().amax(dim=1, keepdim=True).float() / FP8_MAX).clamp(min=1e-12)
    xq = (x / x_scale).to(torch.float8_e4m3fn)
    return torch._scaled_mm(xq, wq.t(), scale_a=x_scale, scale_b=w_scale, out_dtype=torch.bfloat16)


def build_gemm(case):
    torch = _torch()
    m, n, k = case["m"], case["n"], case["k"]
    dev = "cuda"
    if case["gemm_dtype"] == "fp8":
        copies = _copies_to_defeat_l2(torch, n * k)
        weights = [fp8_rowwise_weight(torch, torch.randn(n, k, device=dev, dtype=torch.bfloat16))
                   for _ in range(copies)]
        x = torch.randn(m, k, device=dev, dtype=torch.bfloat16)

        def step(i):
            wq, w_scale = weights[i % copies]
            return fp8_rowwise_linear(torch, x, wq, w_scale)

        return Kernel(step, "torch_scaled_mm_rowwise", {"weight_copies": copies}, keep=(weights, x))
    dt = _dtype(torch, case["gemm_dtype"])
    copies = _copies_to_defeat_l2(torch, 2 * (n * k + m * k))
    pairs = [
        (torch.randn(m, k, device=dev, dtype=dt), torch.randn(n, k, device=dev, dtype=dt)) for _ in range(copies)
    ]
    linear = torch.nn.functional.linear

    def step(i):
        x, w = pairs[i % copies]
        return linear(x, w)

    return Kernel(step, "torch_linear", {"weight_copies": copies}, keep=pairs)


def _sdpa_backend_name(torch, q, k, v, is_causal, attn_mask=None):
    """Which SDPA backend the default selection picks for these inputs (recorded per row)."""
    try:
        from torch.nn.attention import SDPBackend

        try:
            choice = torch._fused_sdp_choice(q, k, v, attn_mask, 0.0, is_causal, scale=None, enable_gqa=True)
        except TypeError:
            choice = torch._fused_sdp_choice(q, k, v, attn_mask, 0.0, is_causal)
        return SDPBackend(int(choice)).name.lower()
    except Exception:  # noqa: BLE001 - private API: fall back to "unknown" rather than fail the case
        return "unknown"


def _window_mask(torch, s_q, s_kv, window, dev):
    # Causal sliding window: query i sees keys (i - window, i] (offset for decode queries).
    qi = torch.arange(s_q, device=dev).unsqueeze(1) + (s_kv - s_q)
    kj = torch.arange(s_kv, device=dev).unsqueeze(0)
    return (kj <= qi) & (kj > qi - window)


def build_context_attention(case):
    torch = _torch()
    b, s, n, nkv, d = case["batch_size"], case["isl"], case["num_heads"], case["num_key_value_heads"], case["head_dim"]
    dt = _dtype(torch, case["attn_dtype"])
    dev = "cuda"
    q = torch.randn(b, n, s, d, device=dev, dtype=dt)
    k = torch.randn(b, nkv, s, d, device=dev, dtype=dt)
    v = torch.randn(b, nkv, s, d, device=dev, dtype=dt)
    sdpa = torch.nn.functional.scaled_dot_product_attention
    window = case["window_size"]
    if window and window < s:
        mask = _window_mask(torch, s, s, window, dev)
        backend = _sdpa_backend_name(torch, q, k.repeat_interleave(n // nkv, 1), v, False, mask)

        def step(_i):
            return sdpa(q, k, v, attn_mask=mask, is_causal=False, enable_gqa=True)

        keep = (q, k, v, mask)
    else:
        backend = _sdpa_backend_name(torch, q, k, v, True)

        def step(_i):
            return sdpa(q, k, v, is_causal=True, enable_gqa=True)

        keep = (q, k, v)
    # The table holds GPU time (graph replay): eager timing of launch-bound prefills jitters by
    # tens of percent with the host. The eager time (host launch included) rides along as
    # eager_latency_ms, so a step model can bound small prefills by both (torch-backend.md).
    return Kernel(step, "torch_sdpa", {"sdpa_backend": backend}, keep=keep)


def build_generation_attention(case):
    torch = _torch()
    b, n, nkv, d = case["batch_size"], case["num_heads"], case["num_key_value_heads"], case["head_dim"]
    kv = case["isl"] + case["step"]
    window = case["window_size"]
    if window and window < kv:
        kv = window  # a sliding-window cache holds only the last `window` tokens
    dt = _dtype(torch, case["attn_dtype"])
    dev = "cuda"
    cache_bytes = 2 * b * nkv * kv * d * 2
    copies = _copies_to_defeat_l2(torch, cache_bytes, cap=16)
    q = torch.randn(b, n, 1, d, device=dev, dtype=dt)
    caches = [
        (torch.randn(b, nkv, kv, d, device=dev, dtype=dt), torch.randn(b, nkv, kv, d, device=dev, dtype=dt))
        for _ in range(copies)
    ]
    sdpa = torch.nn.functional.scaled_dot_product_attention
    backend = _sdpa_backend_name(torch, q, caches[0][0], caches[0][1], False)

    def step(i):
        k, v = caches[i % copies]
        return sdpa(q, k, v, is_causal=False, enable_gqa=True)

    return Kernel(step, "torch_sdpa", {"sdpa_backend": backend, "cache_copies": copies}, keep=(q, caches))


def routing_logits(torch, num_tokens, num_experts, topk, distribution, generator, dev, ep=1):
    """Router logits whose top-k picks follow the named distribution (fp32 [T, E]).

    balanced: the T*k picks go round-robin over the experts (every expert gets T*k/E tokens), in
    an order that alternates between the ep ranks' blocks of E/ep experts (pick i goes to block
    i mod ep), so each rank gets T*k/ep of them at any T, as a balanced router spreads them. (With
    ep = 1: token t picks experts (t*k + j) mod E.)
    power_law_a: expert e (in a random order) has probability proportional to rank^-a; each
    token draws k distinct experts with those probabilities.
    random: each token draws k distinct experts uniformly and independently (what a load-balanced
    router does on average: balanced in expectation, but a small batch touches fewer experts and a
    large one loads them unevenly)."""
    T, E, k = num_tokens, num_experts, topk
    logits = torch.rand(T, E, generator=generator, device="cpu") * 0.1
    if distribution == "balanced":
        i = torch.arange(T).unsqueeze(1) * k + torch.arange(k).unsqueeze(0)
        per_rank = E // ep
        picks = (i % ep) * per_rank + (i // ep) % per_rank
    elif distribution == "random":
        picks = torch.rand(T, E, generator=generator).argsort(dim=1)[:, :k]
    else:
        alpha = float(distribution.split("_")[-1])
        ranks = torch.arange(1, E + 1, dtype=torch.float64)
        probs = ranks.pow(-alpha)
        probs = probs[torch.randperm(E, generator=generator)]
        picks = torch.multinomial(probs.expand(T, E), k, replacement=False, generator=generator)
    boost = 10.0 + torch.rand(T, k, generator=generator)
    logits.scatter_(1, picks, boost)
    return logits.to(dev)


def moe_forward(torch, x, logits, w13, w2, k, expert_ends):
    """Routed experts as torch-backend.md fixes them: softmax (fp32) + top-k + renormalise, sort
    by expert, gather, grouped gate_up, SiLU-and-mul, grouped down, un-permute, weighted sum.
    Experts past the local ones (expert parallelism) sort last and fall outside `expert_ends`."""
    T, h = x.shape
    probs = torch.softmax(logits.float(), dim=-1)
    weights, ids = torch.topk(probs, k, dim=-1)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    sorted_ids, order = torch.sort(ids.reshape(-1))
    # Per-expert end offsets without a host sync (bincount would sync): capturable in a graph.
    offs = torch.searchsorted(sorted_ids, expert_ends, right=False).to(torch.int32)
    x_perm = x.index_select(0, order // k)
    gate_up = torch._grouped_mm(x_perm, w13.transpose(1, 2), offs=offs)
    g, u = gate_up.chunk(2, dim=-1)
    act = torch.nn.functional.silu(g) * u
    down = torch._grouped_mm(act, w2.transpose(1, 2), offs=offs)
    out_flat = torch.empty_like(down)
    out_flat.index_copy_(0, order, down)
    return (out_flat.view(T, k, h) * weights.to(x.dtype).unsqueeze(-1)).sum(dim=1)


def build_moe(case, seed=0):
    torch = _torch()
    T, h, inter, k = case["num_tokens"], case["hidden_size"], case["inter_size"], case["topk"]
    E, tp, ep = case["num_experts"], case["moe_tp_size"], case["moe_ep_size"]
    local_e, local_i = E // ep, inter // tp
    dev = "cuda"
    dt = torch.bfloat16
    gen = torch.Generator(device="cpu").manual_seed(seed)
    logits = routing_logits(torch, T, E, k, case["distribution"], gen, dev, ep).to(dt)
    x = torch.randn(T, h, device=dev, dtype=dt)
    # Stored [E, N, K] so the transposed view passed to _grouped_mm is the column-major B it wants.
    w13 = torch.randn(local_e, 2 * local_i, h, device=dev, dtype=dt) * 0.02
    w2 = torch.randn(local_e, h, local_i, device=dev, dtype=dt) * 0.02
    expert_ends = torch.arange(1, local_e + 1, device=dev, dtype=torch.int64)

    def step(_i):
        return moe_forward(torch, x, logits, w13, w2, k, expert_ends)

    # Load balance actually produced (busiest local expert over the mean), recorded per row.
    with torch.no_grad():
        ids = torch.topk(logits.float(), k, dim=-1).indices.reshape(-1)
        counts = torch.zeros(E, device=dev, dtype=torch.int64).scatter_add_(0, ids, torch.ones_like(ids))
        mean = max(float(counts.float().mean()), 1e-9)
        skew = float(counts.max()) / mean
    return Kernel(step, "torch_grouped_mm", {"max_over_mean_load": round(skew, 3)}, keep=(x, w13, w2, logits))


def _rotate_half(torch, x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def build_elementwise(case):
    torch = _torch()
    T, w, op = case["num_tokens"], case["width"], case["op_name"]
    dt = _dtype(torch, case["elementwise_dtype"])
    dev = "cuda"
    F = torch.nn.functional
    if op == "rms_norm":
        x = torch.randn(T, w, device=dev, dtype=dt)
        weight = torch.randn(w, device=dev, dtype=dt)

        def step(_i):
            return F.rms_norm(x, (w,), weight, 1e-6)

        keep = (x, weight)
    elif op == "silu_mul":
        gu = torch.randn(T, 2 * w, device=dev, dtype=dt)

        def step(_i):
            g, u = gu.chunk(2, dim=-1)
            return F.silu(g) * u

        keep = (gu,)
    elif op == "add":
        x = torch.randn(T, w, device=dev, dtype=dt)
        r = torch.randn(T, w, device=dev, dtype=dt)

        def step(_i):
            return x + r

        keep = (x, r)
    elif op == "rope":
        # width = (query heads + kv heads) * head_dim, q and k in one tensor; head_dim 128 when it
        # divides the width, else 64 (GPT-OSS): the cost follows the elements, not the split.
        hd = ROPE_HEAD_DIM if w % ROPE_HEAD_DIM == 0 else 64
        heads = w // hd
        qk = torch.randn(T, heads, hd, device=dev, dtype=dt)
        max_pos = 131072
        inv = 1.0 / (500000.0 ** (torch.arange(0, hd, 2, device=dev).float() / hd))
        freqs = torch.outer(torch.arange(max_pos, device=dev).float(), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos_table, sin_table = emb.cos().to(dt), emb.sin().to(dt)
        positions = torch.randint(0, max_pos, (T,), device=dev)

        def step(_i):
            cos = cos_table.index_select(0, positions).unsqueeze(1)
            sin = sin_table.index_select(0, positions).unsqueeze(1)
            return qk * cos + _rotate_half(torch, qk) * sin

        keep = (qk, cos_table, sin_table, positions)
    elif op == "embedding":
        table = torch.randn(EMBEDDING_VOCAB, w, device=dev, dtype=dt)
        ids = torch.randint(0, EMBEDDING_VOCAB, (T,), device=dev)

        def step(_i):
            return F.embedding(ids, table)

        keep = (table, ids)
    elif op == "kv_write":
        # width = 2 * kv heads * head_dim: new k and v rows copied into a slot cache.
        slots = max(4 * T, 65536)
        cache = torch.empty(slots, w, device=dev, dtype=dt)
        new = torch.randn(T, w, device=dev, dtype=dt)
        index = torch.randperm(slots, device=dev)[:T]

        def step(_i):
            return cache.index_copy_(0, index, new)

        keep = (cache, new, index)
    else:
        raise ValueError(f"unknown elementwise op {op!r}")
    return Kernel(step, "torch_eager", {}, keep=keep)


BUILDERS = {
    "gemm": build_gemm,
    "context_attention": build_context_attention,
    "generation_attention": build_generation_attention,
    "moe": build_moe,
    "elementwise": build_elementwise,
}
