#!/usr/bin/env python3
"""reference_model.py JSON lines -> the CSV `inferplan silicon reference` reads (data/reference/)."""

import csv
import datetime
import json
import sys

COLUMNS = ["device", "torch", "date", "model", "tp", "dp", "phase", "batch", "isl", "kv", "layers", "latency_ms",
           "eager_latency_ms", "graph_latency_ms", "host_enqueue_ms", "host_synced",
           "eager_sm_clock_mhz", "graph_sm_clock_mhz",
           "queued_eager_ms", "queued_synced", "used_cuda_graph",
           "distribution", "router_max_over_mean", "peak_mem_bytes"]


def cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def main(path):
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COLUMNS)
    today = datetime.date.today().isoformat()
    for line in open(path):
        row = json.loads(line)
        if "error" in row:
            print(f"skipped: {row['error']}", file=sys.stderr)
            continue
        row["date"] = today
        writer.writerow([cell(row.get(c)) for c in COLUMNS])


if __name__ == "__main__":
    main(sys.argv[1])
