#!/usr/bin/env python3
"""Drive worker.py through its real protocol with a few cases of every op (GPU smoke check).

Usage: python3 workers/torch/smoke.py [out.jsonl]"""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

CASES = [
    ("gemm", {"gemm_dtype": "bfloat16", "m": 1, "n": 4096, "k": 4096}),
    ("gemm", {"gemm_dtype": "bfloat16", "m": 8192, "n": 8192, "k": 8192}),
    ("gemm", {"gemm_dtype": "float16", "m": 128, "n": 14336, "k": 4096}),
    ("gemm", {"gemm_dtype": "fp8", "m": 8192, "n": 8192, "k": 8192}),
    ("gemm", {"gemm_dtype": "fp8", "m": 16, "n": 6144, "k": 4096}),
    ("gemm", {"gemm_dtype": "nvfp4", "m": 16, "n": 6144, "k": 4096}),
    ("context_attention", {"batch_size": 1, "isl": 4096, "num_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
                           "window_size": 0, "beam_width": 1, "attn_dtype": "bfloat16", "kv_cache_dtype": "bfloat16", "step": 0}),
    ("context_attention", {"batch_size": 4, "isl": 512, "num_heads": 64, "num_key_value_heads": 8, "head_dim": 64,
                           "window_size": 128, "beam_width": 1, "attn_dtype": "bfloat16", "kv_cache_dtype": "bfloat16", "step": 0}),
    ("generation_attention", {"batch_size": 32, "isl": 1, "num_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
                              "window_size": 0, "beam_width": 1, "attn_dtype": "bfloat16", "kv_cache_dtype": "bfloat16", "step": 4095}),
    ("generation_attention", {"batch_size": 1, "isl": 1, "num_heads": 32, "num_key_value_heads": 4, "head_dim": 128,
                              "window_size": 0, "beam_width": 1, "attn_dtype": "bfloat16", "kv_cache_dtype": "bfloat16", "step": 1023}),
    ("moe", {"moe_dtype": "bfloat16", "num_tokens": 4096, "hidden_size": 2048, "inter_size": 768, "topk": 8,
             "num_experts": 128, "moe_tp_size": 1, "moe_ep_size": 1, "distribution": "balanced"}),
    ("moe", {"moe_dtype": "bfloat16", "num_tokens": 16, "hidden_size": 2048, "inter_size": 768, "topk": 8,
             "num_experts": 128, "moe_tp_size": 1, "moe_ep_size": 1, "distribution": "power_law_1.01"}),
    ("moe", {"moe_dtype": "bfloat16", "num_tokens": 512, "hidden_size": 2048, "inter_size": 768, "topk": 8,
             "num_experts": 128, "moe_tp_size": 1, "moe_ep_size": 4, "distribution": "power_law_1.2"}),
] + [
    ("elementwise", {"op_name": name, "elementwise_dtype": "bfloat16", "num_tokens": tokens, "width": 4096 if name != "rope" else 5120})
    for name in ("rms_norm", "silu_mul", "add", "rope", "embedding", "kv_write") for tokens in (1, 8192)
] + [
    ("gemm", {"gemm_dtype": "bfloat16", "m": "bad", "n": 1, "k": 1}),
]


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else None
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "worker.py")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, bufsize=1)
    lines = []
    t0 = time.time()
    hello = proc.stdout.readline()
    lines.append(hello.strip())
    print("hello", hello.strip(), f"({time.time() - t0:.1f}s)")
    for i, (op, params) in enumerate(CASES):
        proc.stdin.write(json.dumps({"type": "run", "case_id": f"smoke-{i}", "op": op, "params": params}) + "\n")
        proc.stdin.flush()
        t = time.time()
        answer = proc.stdout.readline().strip()
        lines.append(answer)
        msg = json.loads(answer)
        if msg["type"] == "result":
            print(f"{op:22s} {json.dumps(params, separators=(',', ':'))[:90]:90s} {msg['latency_ms']:.4f} ms graph={msg['used_cuda_graph']} "
                  f"eager={msg.get('eager_latency_ms')} info={msg.get('info')} wall={time.time() - t:.2f}s")
        else:
            print(f"{op:22s} ERROR {msg['classification']} {msg['error_type']}: {msg['message']}")
    proc.stdin.write(json.dumps({"type": "shutdown"}) + "\n")
    proc.stdin.flush()
    print("exit code", proc.wait(timeout=60))
    if out_path:
        with open(out_path, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
