#!/usr/bin/env python3
"""Host time to enqueue one call of each collector kernel (kernels.py, exactly as the tables time
them), measured with the GPU held busy so the host never waits for it.

The collector's eager-minus-graph time is the host cost only where the host outruns the GPU; an
eager step that is launch-bound needs the full CPU time of each call (Python, dispatcher, caching
allocator, cudaLaunchKernel for every kernel of the op). Method: queue a long torch.cuda._sleep,
time `calls` calls with perf_counter, check the sleep is still running afterwards (a host sync
inside the op would have waited for it: `synced` is then true and the time is not a launch cost),
synchronise; median of `repeats` such rounds.

The same queued loop timed with CUDA events gives the op's GPU time when launched eagerly with
the host ahead (`queued_ms`: the GPU front end fetches each kernel launch from the stream), and
the calls captured in one CUDA graph give its GPU time as the tables hold it (`graph_ms`);
`eager_gap_ms` = queued - graph is what eager launching adds on the GPU side per call.

Usage: host_launch.py [--repeats N]      prints one JSON line per case, then a summary line."""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from nccl_group import apply_safe_env  # noqa: E402

apply_safe_env()

# ~30 ms at full SM clock: outlasts every timed loop below (a loop that outran it is flagged).
SLEEP_CYCLES = 60_000_000
CALLS = 20

# Shapes of one decoder layer of Llama-3.1-8B and Qwen3-30B-A3B at a short prefill (128 tokens)
# and a decode step (8 requests): the host cost of a call barely depends on the shape, the op
# kind (how many kernels, how much Python) sets it.
LLAMA = {"h": 4096, "n": 32, "nkv": 8, "d": 128, "inter": 14336}
QWEN = {"h": 2048, "n": 32, "nkv": 4, "d": 128, "experts": 128, "topk": 8, "moe_inter": 768}


def _cases():
    cases = []
    for tokens, phase in ((128, "prefill"), (8, "decode")):
        for name, m in (("Llama-3.1-8B", LLAMA), ("Qwen3-30B-A3B", QWEN)):
            h, n, nkv, d = m["h"], m["n"], m["nkv"], m["d"]
            tag = f"{name} {phase} T={tokens}"
            cases.append((tag, "gemm", {"m": tokens, "n": (n + 2 * nkv) * d, "k": h, "gemm_dtype": "bfloat16"}))
            cases.append((tag, "gemm", {"m": tokens, "n": h, "k": n * d, "gemm_dtype": "bfloat16"}))
            attn = {"num_heads": n, "num_key_value_heads": nkv, "head_dim": d, "window_size": 0, "beam_width": 1,
                    "attn_dtype": "bfloat16", "kv_cache_dtype": "bfloat16"}
            if phase == "prefill":
                cases.append((tag, "context_attention", {**attn, "batch_size": 1, "isl": tokens, "step": 0}))
            else:
                cases.append((tag, "generation_attention", {**attn, "batch_size": tokens, "isl": 1, "step": 1024}))
            for op, width in (("rms_norm", h), ("rope", (n + nkv) * d), ("kv_write", 2 * nkv * d), ("add", h),
                              ("silu_mul", m.get("inter", h)), ("embedding", h)):
                cases.append((tag, "elementwise", {"num_tokens": tokens, "width": width, "op_name": op,
                                                    "elementwise_dtype": "bfloat16"}))
            if "experts" in m:
                cases.append((tag, "moe", {"num_tokens": tokens, "hidden_size": h, "inter_size": m["moe_inter"],
                                           "topk": m["topk"], "num_experts": m["experts"], "moe_tp_size": 1,
                                           "moe_ep_size": 1, "moe_dtype": "bfloat16", "distribution": "balanced"}))
            else:
                cases.append((tag, "gemm", {"m": tokens, "n": 2 * m["inter"], "k": h, "gemm_dtype": "bfloat16"}))
    return cases


def blocked_host_ms(torch, fn, calls=CALLS, repeats=7):
    """Median host time per call of fn(i) while the GPU sleeps, whether any call waited on it, and
    the median GPU time per call of the queued calls (events after the sleep and after the last)."""
    times, gpu, synced = [], [], False
    for _ in range(repeats):
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda._sleep(SLEEP_CYCLES)
        start.record()
        t0 = time.perf_counter()
        for i in range(calls):
            fn(i)
        t1 = time.perf_counter()
        end.record()
        # The sleep still running means no call waited for the GPU.
        synced = synced or torch.cuda.current_stream().query()
        torch.cuda.synchronize()
        times.append((t1 - t0) * 1e3 / calls)
        gpu.append(start.elapsed_time(end) / calls)
    return statistics.median(times), synced, statistics.median(gpu)


def graph_ms(torch, fn, calls=CALLS, repeats=7):
    """Median GPU time per call of `calls` calls captured in one CUDA graph (None if capture fails)."""
    try:
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            fn(0)
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            for i in range(calls):
                fn(i)
        graph.replay()
        torch.cuda.synchronize()
    except Exception:  # noqa: BLE001 - reported as null
        return None
    samples = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        samples.append(start.elapsed_time(end) / calls)
    del graph
    return statistics.median(samples)


def main(argv):
    import torch

    from cases import parse_case
    from kernels import BUILDERS

    repeats = int(argv[argv.index("--repeats") + 1]) if "--repeats" in argv else 7
    rows = []
    with torch.inference_mode():
        for tag, op, params in _cases():
            case = parse_case(op, params)
            kernel = BUILDERS[op](case)
            for i in range(3):
                kernel.step(i)
            torch.cuda.synchronize()
            host_ms, synced, queued_ms = blocked_host_ms(torch, kernel.step, repeats=repeats)
            replay_ms = graph_ms(torch, kernel.step, repeats=repeats)
            row = {"case": tag, "op": op, "op_name": params.get("op_name", op),
                   "shape": {k: v for k, v in params.items() if isinstance(v, int)},
                   "host_ms": round(host_ms, 5), "synced": bool(synced), "queued_ms": round(queued_ms, 5),
                   "graph_ms": None if replay_ms is None else round(replay_ms, 5),
                   "eager_gap_ms": None if replay_ms is None else round(queued_ms - replay_ms, 5)}
            rows.append(row)
            print(json.dumps(row), flush=True)
            del kernel
            torch.cuda.empty_cache()
    by_name, gaps = {}, {}
    for r in rows:
        by_name.setdefault(r["op_name"], []).append(r["host_ms"])
        if r["eager_gap_ms"] is not None:
            gaps.setdefault(r["op_name"], []).append(r["eager_gap_ms"])
    summary = {"summary": {k: round(statistics.median(v), 5) for k, v in sorted(by_name.items())},
               "eager_gap_summary": {k: round(statistics.median(v), 5) for k, v in sorted(gaps.items())},
               "any_synced": any(r["synced"] for r in rows), "torch": torch.__version__,
               "device": torch.cuda.get_device_name(0), "sleep_cycles": SLEEP_CYCLES, "calls": CALLS}
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
