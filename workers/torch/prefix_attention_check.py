#!/usr/bin/env python3
"""Prefill attention after a cached prefix: what the `torch` tables can say about it and what the
serving loop runs.

The context_attention table holds causal attention without a prefix (one prompt of isl tokens
attending to itself). The database prices `take` new tokens after `prefix` cached ones by scaling
the table's no-prefix latency at isl = prefix + take by the ratio of the two speeds of light
(take x prefix + take^2 / 2 against (prefix + take)^2 / 2 score entries). The serving loop runs it
as SDPA of the new queries against its slot cache ([slots, max_len, kv_heads, head_dim], a
strided view of the first prefix + take positions) with a lower-right causal mask. This run times,
per (shape, take, prefix):
  table_full     causal, contiguous, isl = prefix + take (the row the database scales)
  table_take     causal, contiguous, isl = take (no prefix at all)
  prefix_contig  take queries vs prefix + take keys, lower-right causal, contiguous K/V
  prefix_slots   the same on the loop's strided slot-cache view (what serving_run.py runs)
with the collector's timing (CUDA graph replay), and the database's estimate for the prefix case
(table_full x the SOL ratio above).

One JSON line per (shape, take, prefix, variant): {"shape", "take", "prefix", "variant",
"latency_ms" | "error"}, and one per (shape, take, prefix) with "sol_scaled_ms".

Usage: prefix_attention_check.py"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from nccl_group import apply_safe_env  # noqa: E402

apply_safe_env()

# Attention of one GPU at tp 1: (query heads, kv heads, head dim).
SHAPES = {
    "Qwen3-8B": (32, 8, 128),
    "Qwen3-30B-A3B": (32, 4, 128),
    "Qwen3-32B": (64, 8, 128),
}
# (new tokens, cached prefix): the held-out prefix runs' prompts, and a few around them.
POINTS = ((1024, 3072), (512, 1536), (1024, 1024), (2048, 2048), (1024, 0))
SLOT_LEN = 4608


def main():
    import torch
    import torch.nn.functional as F
    from torch.nn.attention.bias import causal_lower_right

    from timing import benchmark

    dev, dt = "cuda", torch.bfloat16
    for name, (n, nkv, d) in SHAPES.items():
        for take, prefix in POINTS:
            full = take + prefix
            q_take = torch.randn(1, n, take, d, device=dev, dtype=dt)
            q_full = torch.randn(1, n, full, d, device=dev, dtype=dt)
            k_full = torch.randn(1, nkv, full, d, device=dev, dtype=dt)
            v_full = torch.randn(1, nkv, full, d, device=dev, dtype=dt)
            k_take, v_take = k_full[:, :, :take].contiguous(), v_full[:, :, :take].contiguous()
            slot_k = torch.randn(2, SLOT_LEN, nkv, d, device=dev, dtype=dt)
            slot_v = torch.randn(2, SLOT_LEN, nkv, d, device=dev, dtype=dt)
            mask = causal_lower_right(take, full)
            variants = {
                "table_full": lambda: F.scaled_dot_product_attention(
                    q_full, k_full, v_full, is_causal=True, enable_gqa=True),
                "table_take": lambda: F.scaled_dot_product_attention(
                    q_take, k_take, v_take, is_causal=True, enable_gqa=True),
                "prefix_contig": lambda: F.scaled_dot_product_attention(
                    q_take, k_full, v_full, attn_mask=mask, enable_gqa=True),
                "prefix_slots": lambda: F.scaled_dot_product_attention(
                    q_take, slot_k[1:2, :full].transpose(1, 2), slot_v[1:2, :full].transpose(1, 2),
                    attn_mask=mask, enable_gqa=True),
            }
            times = {}
            for variant, call in variants.items():
                row = {"shape": name, "take": take, "prefix": prefix, "variant": variant}
                try:
                    call()
                    torch.cuda.synchronize()
                    times[variant] = benchmark(lambda _i, call=call: call(), use_graph=True,
                                               eager_reference=False)["latency_ms"]
                    row["latency_ms"] = times[variant]
                except RuntimeError as error:
                    row["error"] = str(error).splitlines()[0][:160]
                print(json.dumps(row), flush=True)
            if "table_full" in times:
                ratio = (take * prefix + take * take / 2) / (full * full / 2)
                print(json.dumps({"shape": name, "take": take, "prefix": prefix,
                                  "sol_scaled_ms": times["table_full"] * ratio}), flush=True)
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
