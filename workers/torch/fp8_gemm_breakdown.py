#!/usr/bin/env python3
"""Where the torch backend's FP8 GEMM time goes: the collector's fp8 case (per-row activation
quantisation + row-wise torch._scaled_mm, kernels.build_gemm) against the bf16 case, the
quantisation alone and the multiply alone (input already quantised), each as graph replays with the
collector's own timing. One JSON line per shape on stdout.

Usage: fp8_gemm_breakdown.py"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kernels  # noqa: E402
import timing  # noqa: E402

SHAPES = [(1, 5120, 5120), (16, 5120, 5120), (256, 5120, 5120), (2048, 5120, 5120), (8192, 5120, 5120),
          (8192, 8192, 8192), (8192, 4096, 14336), (8192, 28672, 4096), (8192, 51200, 5120)]


def quantise(torch, x):
    """The collector's dynamic per-row activation quantisation (kernels.build_gemm)."""
    scale = (x.abs().amax(dim=1, keepdim=True).float() / kernels.FP8_MAX).clamp(min=1e-12)
    return (x / scale).to(torch.float8_e4m3fn), scale


def main():
    import torch

    for m, n, k in SHAPES:
        bf16 = kernels.build_gemm({"gemm_dtype": "bfloat16", "m": m, "n": n, "k": k})
        fp8 = kernels.build_gemm({"gemm_dtype": "fp8", "m": m, "n": n, "k": k})
        weights, x = fp8._keep
        xq, x_scale = quantise(torch, x)

        def multiply(i):
            wq, w_scale = weights[i % len(weights)]
            return torch._scaled_mm(xq, wq.t(), scale_a=x_scale, scale_b=w_scale, out_dtype=torch.bfloat16)

        variants = {"bf16": bf16.step, "fp8": fp8.step, "quantise": lambda i: quantise(torch, x), "multiply": multiply}
        ms = {name: timing.benchmark(step, use_graph=True, eager_reference=False)["latency_ms"]
              for name, step in variants.items()}
        print(json.dumps({"device": torch.cuda.get_device_name(), "torch": torch.__version__.split("+")[0],
                          "m": m, "n": n, "k": k, **{f"{name}_ms": round(v, 5) for name, v in ms.items()}}),
              flush=True)
        del bf16, fp8, weights, x, xq
        torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
