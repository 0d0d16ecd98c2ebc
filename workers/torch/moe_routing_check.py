#!/usr/bin/env python3
"""The MoE op timed under two routings of the same tokens: `balanced` (token t picks experts
(t*k + j) mod E, how the tables are collected) and `random` (each token picks k distinct experts
uniformly, what a load-balanced router does on average). A decode batch of T tokens touches
min(E, T k) experts under the first and E (1 - (1 - k/E)^T) under the second; the estimator prices
`random` from the balanced rows on that basis (docs/perf-database.md), and this run checks it.

Same kernel and timing as the collector (kernels.build_moe, timing.benchmark with a CUDA graph),
bf16 weights. Prints one JSON line per (shape, tokens, routing, seed):
{"shape", "num_tokens", "hidden_size", "inter_size", "topk", "num_experts", "routing", "seed",
 "distinct_experts", "latency_ms"}.

Usage: moe_routing_check.py [--seeds N]"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from nccl_group import apply_safe_env  # noqa: E402

apply_safe_env()

# Expert layouts of one GPU: Qwen3-30B-A3B (tp 1), DeepSeek-V3 at moe_tp 8, GPT-OSS-120B in bf16.
SHAPES = {
    "Qwen3-30B-A3B": {"hidden_size": 2048, "inter_size": 768, "topk": 8, "num_experts": 128},
    "DeepSeek-V3 moe_tp8": {"hidden_size": 7168, "inter_size": 256, "topk": 8, "num_experts": 256},
    "GPT-OSS-120B": {"hidden_size": 2880, "inter_size": 2880, "topk": 4, "num_experts": 128},
}
TOKENS = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 512, 1024, 4096)


def main():
    import torch

    from kernels import build_moe, routing_logits
    from timing import benchmark

    seeds = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 2
    for name, shape in SHAPES.items():
        for tokens in TOKENS:
            case = {**shape, "num_tokens": tokens, "moe_tp_size": 1, "moe_ep_size": 1, "moe_dtype": "bfloat16",
                    "distribution": "balanced"}
            runs = [("balanced", 0)] + [("random", s) for s in range(seeds)]
            for routing, seed in runs:
                run_case = case if routing == "balanced" else {**case, "distribution": "random"}
                run_seed = seed if routing == "balanced" else 1000 + seed
                kernel = build_moe(run_case, seed=run_seed)
                # The same logits again: build_moe draws its routing first from a generator seeded
                # with `seed`, then casts to bf16 (kernel info holds only the load skew).
                gen = torch.Generator(device="cpu").manual_seed(run_seed)
                logits = routing_logits(torch, tokens, shape["num_experts"], shape["topk"],
                                        run_case["distribution"], gen, "cpu").to(torch.bfloat16)
                distinct = int(torch.topk(logits.float(), shape["topk"], dim=-1).indices.unique().numel())
                timed = benchmark(kernel.step, use_graph=True, eager_reference=False)
                print(json.dumps({"shape": name, **shape, "num_tokens": tokens, "routing": routing, "seed": seed,
                                  "distinct_experts": distinct, "latency_ms": timed["latency_ms"]}), flush=True)
                del kernel
                torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
