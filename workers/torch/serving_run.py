#!/usr/bin/env python3
"""Serving run: a small continuous-batching engine on one GPU under a closed-loop benchmark client.

What `inferplan estimate --backend torch --mode agg --clients N` claims to predict, measured:
TTFT and TPOT of requests served by an engine built from exactly the collector's kernels (the
reference model's layer, random weights), so a gap between the two is the serving model's
(scheduler, queueing, step composition), not the op tables'.

Engine (the torch backend's scheduler, docs/serving-model.md): FIFO admission up to `clients`
running requests; every step carries all running decodes (one token each) and fills the rest of
the `ctxTokens` budget with waiting prompts, split over steps where the budget ends (chunked
prefill). Steps run eagerly and the host waits for each step's tokens, as engines do. With
"cudaGraphs": true, decode-only steps replay CUDA graphs instead, captured before the run per padded
batch size (1, 2, 4, multiples of 8) and mean cache length rounded up to "kvBucket" (64) positions,
with cuDNN attention as the tables time it (SDPA takes no ragged batch, so shapes are bucketed). A decode batch
attends over its requests' mean cache length (the same work as each request's own length for
memory-bound decode attention; the op table prices it the same way). Decoding requests occupy
cache slots 0..n-1 (a finished request's slot takes the last one's cache), prompts fill staging
slots and move down when their prefill ends. Like the reference model, layers cycle over
WEIGHT_SETS weight and cache sets, each far larger than the L2 cache.

Client (what `--max-concurrency N` benchmark clients do): N clients send at t = 0 and each sends
its next request when its previous answer ends, `waves` x N requests in all, prompt and output
lengths drawn uniformly from [lengthRatio x nominal, nominal]. A request sent at the end of a step
reaches the engine while the next step runs (it was planned without it), so it is scheduled one
step later, unless the engine is idle. TTFT counts from the send to the end of the step that
yields the first token; TPOT is (end - first token) / (output tokens - 1); both are means over all
requests, as benchmark reports give them.

Scheduler: "scheduler": "mixed" (above, default) or "prefill-first" (SGLang's default loop: a step
that carries prompt chunks carries no decodes, so decodes wait while prompts are pending).

Usage: serving_run.py --points FILE.jsonl   (one JSON request per line; one JSON line each)
A request: {"model": {...ModelShape...}, "modelId": "Qwen/Qwen3-32B", "clients": 16, "isl": 1024,
            "osl": 256, "lengthRatio": 0.8, "waves": 10, "ctxTokens": 8192, "seed": 1,
            "cudnnAttention": false, "cudaGraphs": false, "gemmQuant": "bfloat16"}
           (cuDNN attention off by default: see serve(); "gemmQuant": "fp8" runs the projections and
           dense MLP as the collector's fp8 GEMM case; "prefix": N starts every prefill after N
           cached prompt tokens)
One JSON line per point: the request plus mean / median TTFT and TPOT, requests, steps, wall and
GPU-span time of decode-only steps and of steps carrying prefill, the SDPA backends picked."""

import gc
import json
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kernels import fp8_rowwise_linear, fp8_rowwise_weight  # noqa: E402
from nccl_group import apply_safe_env  # noqa: E402

apply_safe_env()
WEIGHT_SETS = 4
# Steps run back to back for this long before the run: the sustained-load clock (reference_model.py).
WARM_S = 2.0


class Request:
    __slots__ = ("sent", "isl", "osl", "done", "slot", "first_token", "generated")

    def __init__(self, sent, isl, osl):
        self.sent, self.isl, self.osl = sent, isl, osl
        self.done, self.slot, self.first_token, self.generated = 0, -1, -1.0, 0


class ServingModel:
    """The reference model's layer over a mixed batch: prompt chunks (each at its own offset) and
    decodes (each at its own position), with per-request KV caches."""

    def __init__(self, shape, clients, max_len, max_tokens, gemm_quant="bfloat16"):
        import torch

        self.torch = torch
        if gemm_quant not in ("bfloat16", "fp8"):
            raise ValueError(f"gemmQuant must be bfloat16 or fp8, got {gemm_quant!r}")
        # fp8: the projections and dense MLP run as the collector's fp8 GEMM case (weights per-row
        # quantised once, activations quantised per row at every call, torch._scaled_mm); the
        # router, the experts and the lm head stay bf16, as the estimator's decomposition has them.
        self.fp8 = gemm_quant == "fp8"
        dev, dt = "cuda", torch.bfloat16
        self.h, self.d = shape["hiddenSize"], shape["headDim"]
        self.n, self.nkv = shape["numHeads"], shape["numKvHeads"]
        self.layers, self.vocab = shape["numLayers"], shape["vocabSize"]
        self.moe = shape.get("moe")
        self.qk_norm = bool(shape.get("qkNorm"))
        if shape.get("slidingWindow"):
            raise ValueError("serving runs cover full-attention models (no sliding-window layers)")
        h, d, n, nkv = self.h, self.d, self.n, self.nkv
        rnd = lambda *size: torch.randn(*size, device=dev, dtype=dt) * 0.02  # noqa: E731
        self.embed, self.lm_head = rnd(self.vocab, h), rnd(self.vocab, h)
        self.final_norm = torch.ones(h, device=dev, dtype=dt)
        # Decode slots [0, clients), prompt staging slots [clients, 2 x clients).
        self.slots = 2 * clients
        self.max_len = max_len
        self.sets = []
        for _ in range(min(WEIGHT_SETS, self.layers)):
            ws = {"norm1": torch.ones(h, device=dev, dtype=dt), "norm2": torch.ones(h, device=dev, dtype=dt),
                  "qkv": rnd((n + 2 * nkv) * d, h), "o": rnd(h, n * d), "qk_norm": torch.ones(d, device=dev, dtype=dt),
                  # [slot, position, kv head, dim]: a decode batch's writes are one index_copy_ over
                  # the flattened (slot, position) rows; attention reads a transposed view.
                  "k": torch.zeros(self.slots, max_len, nkv, d, device=dev, dtype=dt),
                  "v": torch.zeros(self.slots, max_len, nkv, d, device=dev, dtype=dt)}
            if self.moe:
                e, inter = self.moe["numExperts"], self.moe["expertInterSize"]
                ws["router"], ws["w13"], ws["w2"] = rnd(e, h), rnd(e, 2 * inter, h), rnd(e, h, inter)
            else:
                ws["gate_up"], ws["down"] = rnd(2 * shape["interSize"], h), rnd(h, shape["interSize"])
            if self.fp8:
                for name in ("qkv", "o", "gate_up", "down"):
                    if name in ws:
                        ws[name] = fp8_rowwise_weight(torch, ws[name])
            self.sets.append(ws)
        if self.moe:
            from kernels import routing_logits

            gen = torch.Generator(device="cpu").manual_seed(0)
            # Balanced routing (the table the torch backend prices MoE with): token t picks experts
            # (t*k + j) mod E, so any first T tokens are balanced too.
            self.routing = routing_logits(torch, max_tokens, self.moe["numExperts"], self.moe["topk"], "balanced",
                                          gen, dev, 1).to(dt)
            self.expert_ends = torch.arange(1, self.moe["numExperts"] + 1, device=dev, dtype=torch.int64)
        self.ids = torch.randint(0, self.vocab, (max_tokens,), device=dev)
        inv = 1.0 / (500000.0 ** (torch.arange(0, d, 2, device=dev).float() / d))
        emb = torch.outer(torch.arange(max_len + 1, device=dev).float(), inv)
        emb = torch.cat((emb, emb), dim=-1)
        self.cos_table, self.sin_table = emb.cos().to(dt), emb.sin().to(dt)
        from torch.nn.attention.bias import causal_lower_right

        self.causal_lower_right = causal_lower_right

    def linear(self, x, w):
        """x @ w.T: bf16, or the collector's fp8 GEMM case (kernels.fp8_rowwise_linear)."""
        if isinstance(w, tuple):
            return fp8_rowwise_linear(self.torch, x, *w)
        return self.torch.nn.functional.linear(x, w)

    def step(self, chunks, decode_positions):
        """One step: `chunks` are (slot, start, take) prompt pieces, `decode_positions` the cache
        position of each decode (decodes sit in slots 0..len-1). Returns the logits (not read)."""
        torch = self.torch
        nd = len(decode_positions)
        positions = [p for (_, start, take) in chunks for p in range(start, start + take)] + decode_positions
        T = len(positions)
        pos = torch.tensor(positions, dtype=torch.long).to("cuda", non_blocking=True)
        last = []
        off = 0
        for (_, _, take) in chunks:
            off += take
            last.append(off - 1)
        last_token = torch.tensor(last + list(range(off, T)), dtype=torch.long).to("cuda", non_blocking=True)
        dec_rows, kv_len = None, 0
        if nd:
            dec_rows = torch.arange(nd, device="cuda") * self.max_len + pos[off:]
            kv_len = round(sum(decode_positions) / nd) + 1
        return self._forward(chunks, T, off, nd, pos, dec_rows, kv_len, last_token)

    def _forward(self, chunks, T, off, nd, pos, dec_rows, kv_len, last_token):
        """The layers over a step's tokens: prompt chunks first (`off` tokens), then `nd` decodes
        attending over `kv_len` cached positions. Shapes depend only on the ints, so a decode-only
        call with static tensors can be captured in a CUDA graph."""
        torch = self.torch
        F = torch.nn.functional
        n, nkv, d, h = self.n, self.nkv, self.d, self.h
        x = F.embedding(self.ids[:T], self.embed)
        cos = self.cos_table.index_select(0, pos).unsqueeze(1)
        sin = self.sin_table.index_select(0, pos).unsqueeze(1)
        for i in range(self.layers):
            ws = self.sets[i % len(self.sets)]
            residual = x
            y = F.rms_norm(x, (h,), ws["norm1"], 1e-6)
            qkv = self.linear(y, ws["qkv"])
            qk = qkv[:, : (n + nkv) * d].view(T, n + nkv, d)
            if self.qk_norm:
                qk = F.rms_norm(qk, (d,), ws["qk_norm"], 1e-6)
            x1, x2 = qk.chunk(2, dim=-1)
            qk = qk * cos + torch.cat((-x2, x1), dim=-1) * sin
            q, k = qk[:, :n], qk[:, n:]
            v = qkv[:, (n + nkv) * d:].view(T, nkv, d)
            outs = []
            o = 0
            for (slot, start, take) in chunks:
                qs, ks, vs = q[o:o + take], k[o:o + take], v[o:o + take]
                ws["k"][slot, start:start + take].copy_(ks)
                ws["v"][slot, start:start + take].copy_(vs)
                qb = qs.transpose(0, 1).unsqueeze(0)
                if start == 0:
                    a = F.scaled_dot_product_attention(qb, ks.transpose(0, 1).unsqueeze(0),
                                                       vs.transpose(0, 1).unsqueeze(0), is_causal=True,
                                                       enable_gqa=True)
                else:
                    # A later chunk attends to the prompt so far (its cache) and causally to itself.
                    a = F.scaled_dot_product_attention(qb, ws["k"][slot:slot + 1, :start + take].transpose(1, 2),
                                                       ws["v"][slot:slot + 1, :start + take].transpose(1, 2),
                                                       attn_mask=self.causal_lower_right(take, start + take),
                                                       enable_gqa=True)
                outs.append(a.squeeze(0).transpose(0, 1).reshape(take, n * d))
                o += take
            if nd:
                ws["k"].view(-1, nkv, d).index_copy_(0, dec_rows, k[off:])
                ws["v"].view(-1, nkv, d).index_copy_(0, dec_rows, v[off:])
                a = F.scaled_dot_product_attention(q[off:].reshape(nd, 1, n, d).transpose(1, 2),
                                                   ws["k"][:nd, :kv_len].transpose(1, 2),
                                                   ws["v"][:nd, :kv_len].transpose(1, 2), enable_gqa=True)
                outs.append(a.transpose(1, 2).reshape(nd, n * d))
            attn = outs[0] if len(outs) == 1 else torch.cat(outs, dim=0)
            x = residual + self.linear(attn, ws["o"])
            residual = x
            y = F.rms_norm(x, (h,), ws["norm2"], 1e-6)
            if self.moe:
                from kernels import moe_forward

                F.linear(y, ws["router"])
                out = moe_forward(torch, y, self.routing[:T], ws["w13"], ws["w2"], self.moe["topk"],
                                  self.expert_ends)
            else:
                g, u = self.linear(y, ws["gate_up"]).chunk(2, dim=-1)
                out = self.linear(F.silu(g) * u, ws["down"])
            x = residual + out
        lx = x.index_select(0, last_token)
        return F.linear(F.rms_norm(lx, (h,), self.final_norm, 1e-6), self.lm_head)

    def move_slot(self, src, dst, length):
        """Copy one request's cache (its first `length` positions) to another slot."""
        for ws in self.sets:
            ws["k"][dst, :length].copy_(ws["k"][src, :length])
            ws["v"][dst, :length].copy_(ws["v"][src, :length])

    def capture_decode_graphs(self, batch_buckets, kv_buckets):
        """CUDA graphs of decode-only steps, one per (padded batch, cache-length bucket), captured
        before the run as engines do at start-up. cuDNN attention is on while capturing (its plan
        is built once per shape, then replayed), as in the tables' decode attention."""
        torch = self.torch
        n = max(batch_buckets)
        self.g_pos = torch.zeros(n, dtype=torch.long, device="cuda")
        self.g_rows = torch.zeros(n, dtype=torch.long, device="cuda")
        self.g_last = torch.arange(n, dtype=torch.long, device="cuda")
        self.host_pos = torch.zeros(n, dtype=torch.long).pin_memory()
        self.host_rows = torch.zeros(n, dtype=torch.long).pin_memory()
        self.batch_buckets, self.kv_buckets = sorted(batch_buckets), sorted(kv_buckets)
        self.graphs, pool = {}, torch.cuda.graph_pool_handle()
        torch.backends.cuda.enable_cudnn_sdp(True)
        try:
            for nb in self.batch_buckets:
                for kvb in self.kv_buckets:
                    args = ([], nb, 0, nb, self.g_pos[:nb], self.g_rows[:nb], kvb, self.g_last[:nb])
                    side = torch.cuda.Stream()
                    side.wait_stream(torch.cuda.current_stream())
                    with torch.cuda.stream(side):
                        self._forward(*args)
                    torch.cuda.current_stream().wait_stream(side)
                    graph = torch.cuda.CUDAGraph()
                    with torch.cuda.graph(graph, pool=pool):
                        self._forward(*args)
                    self.graphs[(nb, kvb)] = graph
        finally:
            torch.backends.cuda.enable_cudnn_sdp(False)
        torch.cuda.synchronize()

    def graph_decode(self, decode_positions):
        """A decode-only step replayed from its graph: the batch padded up to the next captured
        size (padding rows write into free decode slots), the mean cache length rounded up to its
        bucket. False when no graph covers the step (it then runs eagerly)."""
        nd = len(decode_positions)
        nb = next((b for b in self.batch_buckets if b >= nd), None)
        kv = round(sum(decode_positions) / nd) + 1
        kvb = next((k for k in self.kv_buckets if k >= kv), None)
        if nb is None or kvb is None:
            return False
        padded = list(decode_positions) + [0] * (nb - nd)
        self.host_pos[:nb] = self.torch.tensor(padded, dtype=self.torch.long)
        self.host_rows[:nb] = self.torch.tensor([i * self.max_len + p for i, p in enumerate(padded)],
                                                dtype=self.torch.long)
        self.g_pos[:nb].copy_(self.host_pos[:nb], non_blocking=True)
        self.g_rows[:nb].copy_(self.host_rows[:nb], non_blocking=True)
        self.graphs[(nb, kvb)].replay()
        return True


def sdpa_backends(torch, model, clients, isl):
    """The SDPA backends a prompt and a decode batch of this run select (recorded with the result)."""
    from kernels import _sdpa_backend_name

    n, nkv, d = model.n, model.nkv, model.d
    q = torch.randn(1, n, isl, d, device="cuda", dtype=torch.bfloat16)
    k = torch.randn(1, nkv, isl, d, device="cuda", dtype=torch.bfloat16)
    prompt = _sdpa_backend_name(torch, q, k, k, True)
    cache = model.sets[0]["k"][:clients, :isl].transpose(1, 2)
    decode = _sdpa_backend_name(torch, q[:, :, :1].expand(clients, n, 1, d), cache, cache, False)
    return {"prompt": prompt, "decode": decode}


def serve(point):
    import torch

    # cuDNN attention (SDPA's default pick on Hopper) builds an execution plan per input shape; a
    # serving loop's shapes change every step (prompt lengths, decode cache lengths), so each step
    # would pay plan builds that no table carries. Engines use ragged-batch kernels with no plans;
    # the nearest here is flash attention, which takes any shape.
    torch.backends.cuda.enable_cudnn_sdp(bool(point.get("cudnnAttention", False)))
    clients, isl, osl = point["clients"], point["isl"], point["osl"]
    # 'mixed': every step carries all running decodes and prompt chunks fill the rest of the
    # budget. 'prefill-first' (SGLang's default loop): a step with prompt chunks carries no decodes.
    policy = point.get("scheduler", "mixed")
    if policy not in ("mixed", "prefill-first"):
        raise ValueError(f"scheduler must be mixed or prefill-first, got {policy!r}")
    ratio, waves = point.get("lengthRatio", 0.8), point.get("waves", 10)
    # Prefix-cache hits: the first `prefix` prompt tokens of every request are already cached (their
    # K/V is not computed; what the cache holds does not change the timing), so prefill starts there.
    prefix = point.get("prefix", 0)
    if not (isinstance(prefix, int) and 0 <= prefix < isl):
        raise ValueError(f"prefix must be a whole number of tokens below isl ({isl}), got {prefix!r}")
    budget = max(point.get("ctxTokens", 8192), clients + 1)
    rng = random.Random(point.get("seed", 1))
    draw = lambda nominal: max(1, round(nominal * (ratio + (1 - ratio) * rng.random())))  # noqa: E731
    model = ServingModel(point["model"], clients, isl + osl + 1, budget + clients, point.get("gemmQuant", "bfloat16"))
    backends = sdpa_backends(torch, model, clients, isl)

    graphs = bool(point.get("cudaGraphs", False))
    graph_misses = 0
    if graphs:
        # Engines' capture sizes: 1, 2, 4, then multiples of 8 up to the batch. Cache lengths in
        # KV_BUCKET steps over every mean a step can see (shortest prompt to longest request).
        kv_bucket = point.get("kvBucket", 64)
        batch_buckets = sorted({b for b in (1, 2, 4) if b < clients} | set(range(8, clients, 8)) | {clients})
        low = max(1, int(isl * ratio)) // kv_bucket * kv_bucket
        high = -(-(isl + osl + 1) // kv_bucket) * kv_bucket
        model.capture_decode_graphs(batch_buckets, range(max(kv_bucket, low), high + 1, kv_bucket))

    def decode_only(positions):
        nonlocal graph_misses
        if graphs and model.graph_decode(positions):
            return
        graph_misses += graphs
        model.step([], positions)

    # Warm-up: kernels, allocator and the sustained clock, on steps of the run's kinds.
    warm_chunks = [(clients, 0, min(isl, budget))]
    end = time.perf_counter() + WARM_S
    while time.perf_counter() < end:
        model.step(warm_chunks, [isl] * clients)
        decode_only([isl] * clients)
        torch.cuda.synchronize()
    graph_misses = 0

    total = waves * clients
    waiting, incoming, prefilling, decoding = [], [], [], []
    free_staging = list(range(clients, 2 * clients))
    ttfts, tpots = [], []
    sent = completed = steps = 0
    # Wall and GPU time of decode-only steps and of steps carrying prefill, to tell a step-model
    # error from a serving-model one.
    times = {"decode": ([], []), "prefill": ([], [])}
    begin, end_event = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    gc.collect()
    gc.freeze()
    t0 = time.perf_counter()

    def send(now):
        nonlocal sent
        if sent < total:
            sent += 1
            r = Request(now, max(prefix + 1, draw(isl)), draw(osl))
            r.done = prefix
            incoming.append(r)

    def finish(r, now):
        nonlocal completed
        completed += 1
        ttfts.append((r.first_token - r.sent) * 1e3)
        if r.osl > 1:
            tpots.append((now - r.first_token) * 1e3 / (r.osl - 1))
        send(now)

    for _ in range(clients):
        send(0.0)
    while completed < total:
        if not prefilling and not decoding:
            # An idle engine takes requests as they come.
            waiting.extend(incoming)
            incoming.clear()
        while waiting and len(prefilling) + len(decoding) < clients:
            r = waiting.pop(0)
            r.slot = free_staging.pop()
            prefilling.append(r)
        prefill_only = policy == "prefill-first" and bool(prefilling)
        left = budget - (0 if prefill_only else len(decoding))
        chunks, carried = [], []
        for r in prefilling:
            if left <= 0:
                break
            take = min(r.isl - r.done, left)
            chunks.append((r.slot, r.done, take))
            carried.append((r, take))
            left -= take
        # Requests sent during the previous step reach the engine while this one runs.
        waiting.extend(incoming)
        incoming.clear()
        started = time.perf_counter()
        begin.record()
        stepping = [] if prefill_only else decoding
        positions = [r.isl + r.generated - 1 for r in stepping]
        if chunks:
            model.step(chunks, positions)
        else:
            decode_only(positions)
        end_event.record()
        torch.cuda.synchronize()
        now = time.perf_counter() - t0
        wall, gpu = times["prefill" if chunks else "decode"]
        wall.append((time.perf_counter() - started) * 1e3)
        gpu.append(begin.elapsed_time(end_event))
        steps += 1
        # Decodes in the step each got a token; finished ones leave, the last slot's request takes
        # the gap.
        for r in stepping:
            r.generated += 1
        i = 0
        while i < len(decoding):
            r = decoding[i]
            if r.generated >= r.osl:
                last = decoding.pop()
                if last is not r:
                    model.move_slot(last.slot, r.slot, last.isl + last.generated)
                    last.slot = r.slot
                    decoding[i] = last
                finish(r, now)
            else:
                i += 1
        for r, take in carried:
            r.done += take
            if r.done < r.isl:
                continue
            prefilling.remove(r)
            r.first_token, r.generated = now, 1
            free_staging.append(r.slot)
            if r.osl <= 1:
                finish(r, now)
                continue
            model.move_slot(r.slot, len(decoding), r.isl)
            r.slot = len(decoding)
            decoding.append(r)
    duration = time.perf_counter() - t0
    gc.unfreeze()
    return {
        "requests": completed,
        "mean_ttft_ms": statistics.mean(ttfts),
        "median_ttft_ms": statistics.median(ttfts),
        "mean_tpot_ms": statistics.mean(tpots) if tpots else None,
        "median_tpot_ms": statistics.median(tpots) if tpots else None,
        "steps": steps,
        "mean_step_ms": statistics.mean(times["decode"][0] + times["prefill"][0]),
        **{f"{kind}_{what}": value for kind, (wall, gpu) in times.items() for what, value in (
            ("steps", len(wall)), ("mean_wall_ms", statistics.mean(wall) if wall else None),
            ("mean_gpu_ms", statistics.mean(gpu) if gpu else None))},
        "duration_s": duration,
        "requests_per_s": completed / duration,
        "peak_mem_bytes": torch.cuda.max_memory_allocated(),
        "sdpa_backends": backends,
        "cuda_graphs": graphs,
        **({"graphs_captured": len(model.graphs), "graph_misses": graph_misses} if graphs else {}),
    }


def main(argv):
    if len(argv) != 2 or argv[0] != "--points":
        print(next(line for line in __doc__.splitlines() if line.startswith("Usage:")), file=sys.stderr)
        return 2
    import torch

    points = [json.loads(line) for line in open(argv[1]) if line.strip()]
    failures = 0
    for point in points:
        try:
            result = serve(point)
            print(json.dumps({**point, "device": torch.cuda.get_device_name(), "torch": torch.__version__.split("+")[0],
                              **result}), flush=True)
        except Exception as err:  # one bad point must not lose the others
            failures += 1
            print(json.dumps({**point, "error": f"{type(err).__name__}: {err}"}), flush=True)
        torch.cuda.empty_cache()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
