#!/usr/bin/env python3
"""Reference runner: time one whole model step built from exactly the collector's kernels.

Random weights; the layer order of torch-backend.md (rms_norm -> qkv -> rope -> kv write ->
attention -> o -> add -> rms_norm -> MLP or router + moe -> add; final rms_norm and the lm-head
on the last token of each request). Every decoder layer runs (no scaling): weights and caches
cycle through WEIGHT_SETS distinct sets, each far larger than the L2 cache, so reuse never hits
in cache while memory stays small. TP > 1 runs one process per GPU (launch under
`python -m torch.distributed.run --standalone --nproc_per_node TP`): each rank holds its shard and
the attention and MLP outputs are all-reduced over NCCL, as the op list prices them; rank 0
prints. A MoE layer's experts are split by EP over the ranks (each holds E / tp whole experts
and the partial outputs are all-reduced), as the engine prices it. "dp": N (MoE models, tp 1)
runs attention data-parallel on N ranks, each with its own `batch` requests: the experts (E / N
per rank) see every rank's tokens, gathered before and reduce-scattered after. Prefill runs eagerly; decode is captured in a CUDA
graph and timed as replays, as serving engines do. Each is run back to back for WARM_S first
(the sustained-load clock). Both phases are also timed as graph replays (GPU time alone), as an
eager step queued behind a GPU sleep (eager GPU time without host stalls) and as host enqueue
time with the GPU held busy, with the SM clock read while timed steps run, so a composition
error can be told apart from an op-table error, a clock or a slow host. `"gc": "frozen"` in a
request freezes and disables Python's garbage collector while timing (a noise diagnostic);
`"skip_ffn": true` leaves out every layer's MLP or router + MoE (an ablation: the difference of
the two graph replays is what the FFN costs inside the step). Phase "mixed" is a continuous-batching
step: one prompt chunk of `isl` tokens (causal attention over itself) beside `batch` decoding
requests at `kv` (attention over their caches); every other op runs over all isl + batch tokens,
and it runs eagerly, as engines run steps that carry prefill.

MoE routing: the router GEMM runs (its cost is part of the step), but the experts are picked
from logits drawn with the collector's routing generator (kernels.routing_logits) for the
request's `distribution` (default "balanced", what the engine queries for the torch backend),
so the step routes as the moe table it is compared against was timed. A random router on
random weights routes very unevenly (a handful of experts take most tokens at small batch).

Usage: reference_model.py --request JSON        (one step; prints one JSON line)
       reference_model.py --points FILE.jsonl   (one JSON request per line; one JSON line each)
A request: {"model": {...ModelShape...}, "tp": 1, "dp": 1, "phase": "prefill"|"decode"|"mixed", "batch": 1,
            "isl": 128, "kv": 0, "layers": null, "distribution": "balanced", "gc": "default"}"""

import gc
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cases import MOE_DISTRIBUTIONS  # noqa: E402
from nccl_group import apply_safe_env  # noqa: E402

apply_safe_env()
WEIGHT_SETS = 4
# Host enqueue timing: a GPU sleep (~30 ms) long enough to outlast enqueueing LAYERS_PER_CHUNK layers.
SLEEP_CYCLES = 60_000_000
LAYERS_PER_CHUNK = 2
# A whole step queued behind one sleep (~150 ms) times its GPU work launched eagerly, host ahead.
QUEUED_SLEEP_CYCLES = 300_000_000
# Steps run back to back for this long before timing: the GPU reaches the clock it holds under
# sustained load (the power limit), as a serving engine's steps run and as the torch profile's
# sustainedComputeFactor assumes (workers/torch/sustained_clock.py).
WARM_S = 2.0


def _rotate_half(torch, x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class ReferenceModel:
    def __init__(self, shape, tp, batch, tokens_per_request, kv_len, phase, layers, distribution="balanced", dp=1):
        import torch

        self.torch = torch
        self.world = _world_size()
        if tp * dp != self.world:
            raise ValueError(f"tp {tp} x dp {dp} runs on {tp * dp} processes, this run has {self.world}: launch it "
                             f"with python -m torch.distributed.run --standalone --nproc_per_node {tp * dp}")
        if dp > 1 and (tp > 1 or not shape.get("moe")):
            raise ValueError("attention DP reference steps run MoE models at tp 1 (each rank its own requests)")
        # Ranks the experts are split over (EP): the TP ranks, or the attention-DP ranks.
        self.tp, self.dp, self.ep = tp, dp, tp * dp
        if shape.get("moe") and shape["moe"]["numExperts"] % self.ep:
            raise ValueError(f"{shape['moe']['numExperts']} experts do not split over {self.ep} ranks")
        dev, dt = "cuda", torch.bfloat16
        self.h = h = shape["hiddenSize"]
        self.d = d = shape["headDim"]
        self.n = max(1, shape["numHeads"] // tp)
        self.nkv = max(1, shape["numKvHeads"] // tp)
        self.layers = layers or shape["numLayers"]
        self.vocab = shape["vocabSize"]
        self.moe = shape.get("moe")
        self.window = shape.get("slidingWindow") or 0
        self.qk_norm = bool(shape.get("qkNorm"))
        self.phase, self.b, self.s, self.kv = phase, batch, tokens_per_request, kv_len
        # A mixed step carries one prompt chunk of s tokens and b decode tokens.
        self.T = T = batch + tokens_per_request if phase == "mixed" else batch * tokens_per_request
        n, nkv = self.n, self.nkv
        rnd = lambda *size: torch.randn(*size, device=dev, dtype=dt) * 0.02  # noqa: E731
        self.embed = rnd(self.vocab, h)
        self.lm_head = rnd(self.vocab, h)
        self.final_norm = torch.ones(h, device=dev, dtype=dt)
        self.sets = []
        for _ in range(min(WEIGHT_SETS, self.layers)):
            ws = {"norm1": torch.ones(h, device=dev, dtype=dt), "norm2": torch.ones(h, device=dev, dtype=dt),
                  "qkv": rnd((n + 2 * nkv) * d, h), "o": rnd(h, n * d), "qk_norm": torch.ones(d, device=dev, dtype=dt)}
            if self.moe:
                e, inter = self.moe["numExperts"], self.moe["expertInterSize"]
                # Experts split by EP over the TP ranks (moe_tp 1, moe_ep tp), as the engine prices a
                # MoE layer on tp GPUs: each rank holds E / tp whole experts.
                ws["router"] = rnd(e, h)
                ws["w13"] = rnd(e // self.ep, 2 * inter, h)
                ws["w2"] = rnd(e // self.ep, h, inter)
            else:
                inter = shape["interSize"] // tp
                ws["gate_up"] = rnd(2 * inter, h)
                ws["down"] = rnd(h, inter)
            if phase in ("decode", "mixed"):
                ws["k_cache"] = torch.randn(batch, nkv, kv_len + 1, d, device=dev, dtype=dt)
                ws["v_cache"] = torch.randn(batch, nkv, kv_len + 1, d, device=dev, dtype=dt)
            if phase != "decode":
                chunk = tokens_per_request if phase == "mixed" else T
                ws["slot_cache"] = torch.empty(chunk, 2 * nkv * d, device=dev, dtype=dt)
            self.sets.append(ws)
        self.skip_ffn = False
        if self.moe:
            from kernels import routing_logits

            e = self.moe["numExperts"]
            # Picks of experts past this rank's E / tp sort last and fall outside (kernels.moe_forward);
            # under balanced or random routing every block of E / tp experts carries the same load.
            self.expert_ends = torch.arange(1, e // self.ep + 1, device=dev, dtype=torch.int64)
            gen = torch.Generator(device="cpu").manual_seed(0)
            # As build_moe draws them (same generator, seed and dtype): the table's routing, over the
            # tokens the experts see (every DP rank's, gathered).
            self.routing = routing_logits(torch, T * dp, e, self.moe["topk"], distribution, gen, dev, self.ep).to(dt)
            if self.ep > 1:
                # This rank's experts are block `rank` of the E / ep-expert blocks: rotate their columns
                # to the front, where moe_forward takes the local ones, so each rank runs its own
                # block's load (the step waits for the busiest rank, as in an engine).
                rank = torch.distributed.get_rank()
                self.routing = torch.roll(self.routing, shifts=-rank * (e // self.ep), dims=1)
            if dp > 1:
                self.gathered = torch.empty(T * dp, h, device=dev, dtype=dt)
                self.scattered = torch.empty(T, h, device=dev, dtype=dt)
        self.ids = torch.randint(0, self.vocab, (T,), device=dev)
        max_pos = max(kv_len + 1, tokens_per_request) + 1
        inv = 1.0 / (500000.0 ** (torch.arange(0, d, 2, device=dev).float() / d))
        emb = torch.outer(torch.arange(max_pos, device=dev).float(), inv)
        emb = torch.cat((emb, emb), dim=-1)
        self.cos_table, self.sin_table = emb.cos().to(dt), emb.sin().to(dt)
        if phase == "decode":
            self.positions = torch.full((T,), kv_len, device=dev, dtype=torch.long)
            self.last_token = torch.arange(batch, device=dev)
        elif phase == "mixed":
            self.positions = torch.cat((torch.arange(tokens_per_request, device=dev),
                                        torch.full((batch,), kv_len, device=dev, dtype=torch.long)))
            # The chunk's last token (its first output, as if it were the prompt's last chunk) and every decode.
            self.last_token = torch.arange(tokens_per_request - 1, T, device=dev)
        else:
            self.positions = torch.arange(tokens_per_request, device=dev).repeat(batch)
            self.last_token = torch.arange(batch, device=dev) * tokens_per_request + (tokens_per_request - 1)
        self.slots = torch.arange(T if phase != "mixed" else tokens_per_request, device=dev)
        # The sliding-window mask of a prompt (GPT-OSS-style layers), built once: an engine builds its
        # attention metadata outside the layers, so the timed step should not build it per layer.
        self.window_mask = None
        if self.window and phase != "decode" and self.window < tokens_per_request:
            qi = torch.arange(tokens_per_request, device=dev).unsqueeze(1)
            kj = torch.arange(tokens_per_request, device=dev).unsqueeze(0)
            self.window_mask = (kj <= qi) & (kj > qi - self.window)

    def layer(self, x, ws, layer_index):
        torch = self.torch
        F = torch.nn.functional
        n, nkv, d, h, b, s, T = self.n, self.nkv, self.d, self.h, self.b, self.s, self.T
        residual = x
        y = F.rms_norm(x, (h,), ws["norm1"], 1e-6)
        qkv = F.linear(y, ws["qkv"])
        qk = qkv[:, : (n + nkv) * d].view(T, n + nkv, d)
        if self.qk_norm:
            # Qwen3-style per-head RMSNorm of q and k (one kernel over both, as the op list prices it).
            qk = F.rms_norm(qk, (d,), ws["qk_norm"], 1e-6)
        cos = self.cos_table.index_select(0, self.positions).unsqueeze(1)
        sin = self.sin_table.index_select(0, self.positions).unsqueeze(1)
        qk = qk * cos + _rotate_half(torch, qk) * sin
        q, k = qk[:, :n], qk[:, n:]
        v = qkv[:, (n + nkv) * d:].view(T, nkv, d)
        # GPT-OSS-style models alternate windowed and full layers.
        window = self.window if (self.window and layer_index % 2 == 0) else 0
        if self.phase == "decode":
            attn = self._decode_attention(q, k, v, ws, window)
        elif self.phase == "mixed":
            # The chunk attends causally to itself, the decodes to their caches: two kernels, as the
            # op list prices a mixed step (context attention + generation attention).
            # (The concatenation is one small copy the op list does not price: < 1% of such a step.)
            chunk = self._prefill_attention(q[:s], k[:s], v[:s], ws, window, 1, s)
            attn = torch.cat((chunk, self._decode_attention(q[s:], k[s:], v[s:], ws, window)), dim=0)
        else:
            attn = self._prefill_attention(q, k, v, ws, window, b, s)
        x = residual + self._all_reduce(F.linear(attn, ws["o"]))
        residual = x
        y = F.rms_norm(x, (h,), ws["norm2"], 1e-6)
        if self.skip_ffn:
            out = y  # ablation: the step without its MLP / router + MoE (diagnostic)
        elif self.moe:
            from kernels import moe_forward

            # The router GEMM is paid for; the experts follow the table's routing (module docstring).
            F.linear(y, ws["router"])
            if self.dp > 1:
                # Attention DP: every rank's tokens gathered for the experts, the outputs summed and
                # scattered back (all_gather + reduce_scatter, as the op list prices it).
                dist = torch.distributed
                dist.all_gather_into_tensor(self.gathered, y)
                full = moe_forward(torch, self.gathered, self.routing, ws["w13"], ws["w2"], self.moe["topk"],
                                   self.expert_ends)
                dist.reduce_scatter_tensor(self.scattered, full)
                out = self.scattered
            else:
                out = self._all_reduce(
                    moe_forward(torch, y, self.routing, ws["w13"], ws["w2"], self.moe["topk"], self.expert_ends))
        else:
            gu = F.linear(y, ws["gate_up"])
            g, u = gu.chunk(2, dim=-1)
            out = self._all_reduce(F.linear(F.silu(g) * u, ws["down"]))
        return residual + out

    def _all_reduce(self, t):
        """Sum a row-parallel GEMM's partial output over the TP ranks (in place; NCCL). Attention-DP
        ranks hold whole heads of their own requests: nothing to sum there."""
        if self.tp > 1:
            self.torch.distributed.all_reduce(t)
        return t

    def _decode_attention(self, q, k, v, ws, window):
        """One query per request over its cache (the new token's k/v written at position kv)."""
        torch, F = self.torch, self.torch.nn.functional
        n, nkv, d, b = self.n, self.nkv, self.d, self.b
        ws["k_cache"][:, :, self.kv].copy_(k.view(b, nkv, d))
        ws["v_cache"][:, :, self.kv].copy_(v.view(b, nkv, d))
        kc, vc = ws["k_cache"], ws["v_cache"]
        if window and window < self.kv + 1:
            kc, vc = kc[:, :, -window:], vc[:, :, -window:]
        attn = F.scaled_dot_product_attention(q.reshape(b, 1, n, d).transpose(1, 2), kc, vc, is_causal=False,
                                              enable_gqa=True)
        return attn.transpose(1, 2).reshape(b, n * d)

    def _prefill_attention(self, q, k, v, ws, window, b, s):
        """Causal attention of b prompts of s tokens over themselves (k/v written to the slot cache)."""
        torch, F = self.torch, self.torch.nn.functional
        n, nkv, d = self.n, self.nkv, self.d
        T = b * s
        ws["slot_cache"].index_copy_(0, self.slots, torch.cat((k.reshape(T, -1), v.reshape(T, -1)), dim=-1))
        qb = q.reshape(b, s, n, d).transpose(1, 2)
        kb = k.reshape(b, s, nkv, d).transpose(1, 2)
        vb = v.reshape(b, s, nkv, d).transpose(1, 2)
        if window and window < s:
            attn = F.scaled_dot_product_attention(qb, kb, vb, attn_mask=self.window_mask, enable_gqa=True)
        else:
            attn = F.scaled_dot_product_attention(qb, kb, vb, is_causal=True, enable_gqa=True)
        return attn.transpose(1, 2).reshape(T, n * d)

    def embed_tokens(self):
        return self.torch.nn.functional.embedding(self.ids, self.embed)

    def head(self, x):
        F = self.torch.nn.functional
        last = x.index_select(0, self.last_token)
        return F.linear(F.rms_norm(last, (self.h,), self.final_norm, 1e-6), self.lm_head)

    def step(self):
        x = self.embed_tokens()
        for i in range(self.layers):
            x = self.layer(x, self.sets[i % len(self.sets)], i)
        return self.head(x)

    def host_enqueue_ms(self):
        """Host time to enqueue one step while the GPU is held busy (a queued sleep), so the host
        never waits for it: the step's launch cost alone. Timed a few layers at a time so the
        queued kernels stay far below the launch queue's depth. Also says whether any part
        waited for the GPU anyway (a host sync), which would make the time meaningless."""
        torch = self.torch
        total, synced = 0.0, False

        def timed(fn):
            nonlocal total, synced
            torch.cuda.synchronize()
            torch.cuda._sleep(SLEEP_CYCLES)
            t0 = time.perf_counter()
            out = fn()
            total += time.perf_counter() - t0
            synced = synced or torch.cuda.current_stream().query()
            torch.cuda.synchronize()
            return out

        x = timed(self.embed_tokens)
        for first in range(0, self.layers, LAYERS_PER_CHUNK):

            def chunk(x=x, first=first):
                for i in range(first, min(first + LAYERS_PER_CHUNK, self.layers)):
                    x = self.layer(x, self.sets[i % len(self.sets)], i)
                return x

            x = timed(chunk)
        timed(lambda: self.head(x))
        return total * 1e3, synced

    def queued_step_ms(self, runs=3):
        """GPU time of one eager step whose launches were all queued behind a sleep: eager
        kernels with no host stalls (compare the graph replay). Also whether the host waited
        (a sync, or a launch queue too short for the step), which voids the number."""
        torch = self.torch
        samples, synced = [], False
        for _ in range(runs):
            torch.cuda.synchronize()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda._sleep(QUEUED_SLEEP_CYCLES)
            start.record()
            self.step()
            end.record()
            synced = synced or torch.cuda.current_stream().query()
            torch.cuda.synchronize()
            samples.append(start.elapsed_time(end))
        return statistics.median(samples), synced

    def measure_router_skew(self):
        """Busiest expert over the mean load of the routing the experts follow."""
        torch = self.torch
        if not self.moe:
            return None
        ids = torch.topk(self.routing.float(), self.moe["topk"], dim=-1).indices
        counts = torch.bincount(ids.reshape(-1), minlength=self.moe["numExperts"]).float()
        return round(float(counts.max() / counts.mean()), 3)


def _all_ranks_agree(torch, ok):
    """Whether `ok` holds on every rank (one MIN all-reduce under torch.distributed)."""
    if _world_size() <= 1:
        return ok
    flag = torch.tensor([1.0 if ok else 0.0], device="cuda")
    torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MIN)
    return flag.item() > 0


def _world_size():
    import torch.distributed as dist

    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def _warm(torch, fn, seconds=WARM_S):
    """Run fn back to back for `seconds` (at least 3 times). Under torch.distributed every rank runs
    the same count (the slowest rank's estimate), so their collectives pair up."""
    if _world_size() > 1:
        import torch.distributed as dist

        # The first call pays one-off setup (library handles, lazy kernels): time the next two.
        fn()
        times = []
        for _ in range(2):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            fn()
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        per_call = torch.tensor([min(times)], device="cuda")
        dist.all_reduce(per_call, op=dist.ReduceOp.MAX)
        for i in range(max(3, int(seconds / max(float(per_call.item()), 1e-4)))):
            fn()
            if i % 4 == 3:
                torch.cuda.synchronize()
        torch.cuda.synchronize()
        return
    t_end = time.perf_counter() + seconds
    done = 0
    while done < 3 or time.perf_counter() < t_end:
        fn()
        done += 1
        if done % 4 == 0:
            torch.cuda.synchronize()
    torch.cuda.synchronize()


def _sm_clock_reader():
    """A function returning the SM clock (MHz) of GPU 0 through NVML, or None without pynvml."""
    try:
        import pynvml

        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(int((os.environ.get("CUDA_VISIBLE_DEVICES") or "0").split(",")[0]))
        return lambda: pynvml.nvmlDeviceGetClockInfo(handle, pynvml.NVML_CLOCK_SM)
    except Exception:  # noqa: BLE001 - NVML is optional: the clock column stays empty
        return None


SM_CLOCK = _sm_clock_reader()


def _time(torch, fn, runs):
    """Median of `runs` timed calls, the samples, and the median SM clock read while they ran."""
    samples, clocks = [], []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        if SM_CLOCK:
            clocks.append(SM_CLOCK())  # the step is still running on the GPU here
        end.synchronize()
        samples.append(start.elapsed_time(end))
    return statistics.median(samples), samples, (statistics.median(clocks) if clocks else None)


def run_request(request):
    phase = request["phase"]
    if phase not in ("prefill", "decode", "mixed"):
        raise ValueError("phase must be prefill, decode or mixed")
    batch = int(request["batch"])
    tokens = 1 if phase == "decode" else int(request.get("isl") or 0)
    kv = 0 if phase == "prefill" else int(request.get("kv") or 0)
    if tokens <= 0 or (phase != "prefill" and kv <= 0):
        raise ValueError("prefill needs isl > 0; decode needs kv > 0; mixed needs both")
    distribution = request.get("distribution") or "balanced"
    if distribution not in MOE_DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {', '.join(MOE_DISTRIBUTIONS)}")
    import torch

    started = time.perf_counter()
    with torch.inference_mode():
        model = ReferenceModel(request["model"], int(request.get("tp", 1)), batch, tokens, kv, phase,
                               request.get("layers"), distribution, int(request.get("dp", 1)))
        model.skip_ffn = bool(request.get("skip_ffn"))
        _warm(torch, model.step)
        if request.get("gc") == "frozen":
            # As serving engines do (gc.freeze at start-up): no collector pauses inside a step.
            gc.collect()
            gc.freeze()
            gc.disable()
        eager_ms, eager_samples, eager_clock = _time(torch, model.step, 7 if phase == "prefill" else 10)
        host_ms, host_synced = model.host_enqueue_ms()
        queued_ms, queued_synced = model.queued_step_ms()
        graph_ms = graph_clock = None
        graph_error = None
        graph = None
        try:
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                model.step()
            torch.cuda.current_stream().wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                model.step()
        except Exception as error:  # noqa: BLE001 - recorded: eager numbers stand
            graph = None
            graph_error = f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
        # Every rank replays (its collectives pair up) or none does.
        if _all_ranks_agree(torch, graph is not None):
            _warm(torch, graph.replay)
            graph_ms, _, graph_clock = _time(torch, graph.replay, 7 if phase == "prefill" else 20)
        elif graph is not None:
            graph_error = "graph capture failed on another rank"
        del graph
        # What a serving engine does: prefill eager, decode replayed from a graph.
        used_graph = phase == "decode" and graph_ms is not None
        latency_ms = graph_ms if used_graph else eager_ms
        skew = model.measure_router_skew()
        peak = torch.cuda.max_memory_allocated()
        if request.get("gc") == "frozen":
            gc.enable()
            gc.unfreeze()
    model_is_moe = model.moe is not None
    del model
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    out = {"model": request["model"].get("id"), "tp": int(request.get("tp", 1)), "dp": int(request.get("dp", 1)),
           "phase": phase, "batch": batch,
           "isl": 1 if phase == "decode" else tokens, "kv": kv,
           "layers": request.get("layers") or request["model"]["numLayers"], "latency_ms": latency_ms,
           "eager_latency_ms": eager_ms, "eager_samples_ms": [round(v, 4) for v in eager_samples],
           "gc": request.get("gc") or "default", "skip_ffn": bool(request.get("skip_ffn")), "graph_latency_ms": graph_ms, "host_enqueue_ms": round(host_ms, 4),
           "eager_sm_clock_mhz": eager_clock, "graph_sm_clock_mhz": graph_clock,
           "host_synced": bool(host_synced), "queued_eager_ms": queued_ms, "queued_synced": bool(queued_synced),
           "used_cuda_graph": used_graph, "graph_error": graph_error,
           "distribution": distribution if model_is_moe else None, "router_max_over_mean": skew,
           "peak_mem_bytes": int(peak), "torch": torch.__version__,
           "device": torch.cuda.get_device_name(0), "wall_s": round(time.perf_counter() - started, 2)}
    return out


def main(argv):
    if len(argv) == 2 and argv[0] == "--request":
        requests = [json.loads(argv[1])]
    elif len(argv) == 2 and argv[0] == "--points":
        requests = [json.loads(line) for line in open(argv[1]) if line.strip()]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    rank = _init_distributed()
    status = 0
    for request in requests:
        try:
            result = run_request(request)
            if rank == 0:
                print(json.dumps(result), flush=True)
        except Exception as error:  # noqa: BLE001 - one failed point does not stop the others
            if rank == 0:
                print(json.dumps({"error": f"{type(error).__name__}: {str(error)[:300]}", "request": request}),
                      flush=True)
            status = 1
            if _world_size() > 1:
                # The other ranks may be waiting in a collective this rank will never join: end the
                # group (torch.distributed.run stops the rest) rather than hang.
                print(f"rank {rank}: {type(error).__name__}: {str(error)[:300]}", file=sys.stderr, flush=True)
                os._exit(1)
    return status


def _init_distributed():
    """Join the process group when launched by torch.distributed.run (WORLD_SIZE > 1); this rank."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0
    import torch
    import torch.distributed as dist

    torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl", device_id=torch.device("cuda", torch.cuda.current_device()))
    return dist.get_rank()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
