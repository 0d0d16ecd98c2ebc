#!/usr/bin/env python3
"""Decode attention timed the way the `torch` tables time it and the way the serving loop runs it.

The generation_attention table (kernels.build_generation_attention) times SDPA on contiguous
[batch, kv_heads, kv, head_dim] caches with PyTorch's default backend pick (cuDNN on the H200).
The serving loop (serving_run.py) turns cuDNN attention off (it builds an execution plan per
shape, and a serving loop's shapes change every step) and attends over slot caches laid out
[slots, max_len, kv_heads, head_dim], a strided view. Serving runs at large batch x cache length
spend most of a decode step here, so this run measures how far the loop's kernel is from the
table's at the same shapes: backend (cudnn / flash / efficient) x layout (contiguous / slots).

Same timing as the collector (timing.benchmark, CUDA graph, several cache copies against L2).
One JSON line per (shape, batch, kv, backend, layout): {"shape", "num_heads", "num_key_value_heads",
"head_dim", "batch_size", "kv", "backend", "layout", "latency_ms"} or "error" where the backend
refuses the inputs.

Usage: decode_attention_check.py"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from nccl_group import apply_safe_env  # noqa: E402

apply_safe_env()

# Attention of one GPU at tp 1: (query heads, kv heads, head dim).
SHAPES = {
    "Llama-3.1-8B": (32, 8, 128),
    "Qwen3-32B": (64, 8, 128),
    "Qwen3-30B-A3B": (32, 4, 128),
}
# (batch, kv length): the decode batches of the serving runs, light to heavy.
POINTS = ((16, 1100), (64, 1100), (64, 2200), (128, 1300), (32, 4200), (16, 8200))
# Slot caches are this much longer than the longest request (the loop sizes them to isl + osl).
SLOT_MARGIN = 1.25
L2_BYTES = 64 << 20


def main():
    import torch
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from timing import benchmark

    backends = {"cudnn": SDPBackend.CUDNN_ATTENTION, "flash": SDPBackend.FLASH_ATTENTION,
                "efficient": SDPBackend.EFFICIENT_ATTENTION}
    dev, dt = "cuda", torch.bfloat16
    for name, (n, nkv, d) in SHAPES.items():
        for b, kv in POINTS:
            cache_bytes = 2 * b * nkv * kv * d * 2
            copies = max(2, min(8, -(-4 * L2_BYTES // cache_bytes)))
            q = torch.randn(b, n, 1, d, device=dev, dtype=dt)
            max_len = int(kv * SLOT_MARGIN)
            layouts = {
                "contiguous": [(torch.randn(b, nkv, kv, d, device=dev, dtype=dt),
                                torch.randn(b, nkv, kv, d, device=dev, dtype=dt)) for _ in range(copies)],
                "slots": [tuple(torch.randn(b, max_len, nkv, d, device=dev, dtype=dt)[:, :kv].transpose(1, 2)
                                for _ in range(2)) for _ in range(copies)],
            }
            for layout, caches in layouts.items():
                for backend_name, backend in backends.items():
                    row = {"shape": name, "num_heads": n, "num_key_value_heads": nkv, "head_dim": d,
                           "batch_size": b, "kv": kv, "backend": backend_name, "layout": layout}

                    def step(i, caches=caches, backend=backend):
                        k, v = caches[i % copies]
                        with sdpa_kernel(backend):
                            return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)

                    try:
                        step(0)
                        torch.cuda.synchronize()
                        row["latency_ms"] = benchmark(step, use_graph=True, eager_reference=False)["latency_ms"]
                    except RuntimeError as error:
                        row["error"] = str(error).splitlines()[0][:160]
                    print(json.dumps(row), flush=True)
            del layouts
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
