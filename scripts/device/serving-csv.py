#!/usr/bin/env python3
"""serving_run.py JSON lines -> rows in the measured-results CSV format `inferplan silicon compare`
reads (the columns of the development set; aggregated mode, one GPU, bf16 or fp8 GEMMs)."""

import csv
import datetime
import json
import sys

COLUMNS = ["id", "silicon_data_source", "backend", "backend_version", "model_path", "system", "precision", "mode",
           "isl", "osl", "gemm_quant_mode", "moe_quant_mode", "batch_size", "tp_size", "pp_size",
           "attention_dp_size", "moe_tp_size", "moe_ep_size", "silicon_ttft_ms", "silicon_tpot_ms"]
SYSTEMS = {"NVIDIA H200": "h200_sxm", "NVIDIA H100 80GB HBM3": "h100_sxm"}


def main(path):
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COLUMNS)
    today = datetime.date.today().isoformat()
    for line in open(path):
        r = json.loads(line)
        if "error" in r or r.get("mean_tpot_ms") is None:
            continue
        system = SYSTEMS.get(r["device"], r["device"])
        name = r["modelId"].split("/")[-1].lower().replace(".", "_")
        graphs = "on" if r.get("cuda_graphs") else "off"
        decode_attention = "cudnn_graph" if r.get("cuda_graphs") else r["sdpa_backends"]["decode"]
        source = (f"serving_run.py; cuda_graphs={graphs}; scheduler={r.get('scheduler', 'mixed')}; "
                  f"silicon_concurrency={r['clients']}; length_ratio={r['lengthRatio']}; "
                  f"waves={r['waves']}; ctx_tokens={r['ctxTokens']}; requests={r['requests']}; "
                  f"{'prefix=%d; ' % r['prefix'] if r.get('prefix') else ''}"
                  f"attention={r['sdpa_backends']['prompt']}/{decode_attention}; "
                  # The loop routes MoE tokens round-robin (serving_run.py); the estimate must too.
                  f"{'moe_distribution=balanced; ' if r['model'].get('moe') else ''}measured={today}")
        moe = "bfloat16" if r["model"].get("moe") else ""
        policy = f"_{r['scheduler']}" if "scheduler" in r else ""
        policy += "_graphs" if r.get("cuda_graphs") else ""
        # The projections' and dense MLP's GEMM format ("gemmQuant"; the experts stay bf16).
        gemm = r.get("gemmQuant", "bfloat16")
        policy += "_fp8" if gemm == "fp8" else ""
        policy += f"_p{r['prefix']}" if r.get("prefix") else ""
        policy += f"_ctx{r['ctxTokens']}" if r.get("ctxTokens", 8192) != 8192 else ""
        # Waves in the id (from the twelfth session's files on): two runs of one point differ in them.
        writer.writerow([f"torch_{name}_{system}_{r['isl']}x{r['osl']}_c{r['clients']}_w{r['waves']}{policy}", source, "torch", r["torch"],
                         r["modelId"], system, "fp8" if gemm == "fp8" else "bf16", "agg", r["isl"], r["osl"], gemm, moe,
                         r["clients"], 1, 1, 1, 1, 1, f"{r['mean_ttft_ms']:.3f}", f"{r['mean_tpot_ms']:.4f}"])


if __name__ == "__main__":
    main(sys.argv[1])
