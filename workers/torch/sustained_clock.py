"""How much slower compute-bound kernels run under sustained load than in the short bursts the
collector times: the same GEMMs timed as a burst (warm-up, then the median of short repeats, as
the collector does) and back to back for several seconds (as a long prefill runs them), with the
SM clock and board power read from NVML. Prints one JSON line."""

import json
import statistics
import sys
import time


def main():
    import torch

    try:
        import pynvml

        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        clock = lambda: pynvml.nvmlDeviceGetClockInfo(handle, pynvml.NVML_CLOCK_SM)  # noqa: E731
        power = lambda: pynvml.nvmlDeviceGetPowerUsage(handle) / 1000.0  # noqa: E731
    except Exception:  # noqa: BLE001 - NVML is optional
        clock = power = lambda: None

    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0
    tokens = 4096
    # Llama-3.1-8B prefill GEMMs at 4096 tokens (qkv, o, gate_up, down) and a memory-bound copy.
    shapes = [(tokens, 6144, 4096), (tokens, 4096, 4096), (tokens, 28672, 4096), (tokens, 4096, 14336)]
    dev = torch.device("cuda")
    mats = [(torch.randn(m, k, device=dev, dtype=torch.bfloat16), torch.randn(n, k, device=dev, dtype=torch.bfloat16)) for m, n, k in shapes]
    big = torch.randn(256 * 2**20, device=dev, dtype=torch.bfloat16)
    out = torch.empty_like(big)

    def gemm(i):
        x, w = mats[i]
        return torch.nn.functional.linear(x, w)

    def burst(fn, reps=20):
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(reps):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            fn()
            e.record()
            e.synchronize()
            times.append(s.elapsed_time(e))
        return statistics.median(times)

    # Let the GPU cool between phases so the burst starts from an idle clock.
    time.sleep(2.0)
    idle_clock = clock()
    burst_ms = [burst(lambda i=i: gemm(i)) for i in range(len(shapes))]
    copy_burst_ms = burst(lambda: out.copy_(big))

    # Sustained: the four GEMMs back to back, as a prefill runs them, for `seconds`.
    t_end = time.time() + seconds
    per_gemm = [[] for _ in shapes]
    clocks, powers = [], []
    warm_until = time.time() + 1.0
    while time.time() < t_end:
        events = []
        for i in range(len(shapes)):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            gemm(i)
            e.record()
            events.append((s, e))
        events[-1][1].synchronize()
        if time.time() > warm_until:
            for i, (s, e) in enumerate(events):
                per_gemm[i].append(s.elapsed_time(e))
            clocks.append(clock())
            powers.append(power())
    sustained_ms = [statistics.median(v) for v in per_gemm]
    copy_sustained_ms = burst(lambda: out.copy_(big), reps=50)
    ratio = [s / b for s, b in zip(sustained_ms, burst_ms)]
    print(
        json.dumps(
            {
                "device": torch.cuda.get_device_name(0),
                "torch": torch.__version__,
                "idle_clock_mhz": idle_clock,
                "sustained_clock_mhz_median": statistics.median([c for c in clocks if c]) if any(clocks) else None,
                "sustained_power_w_median": statistics.median([p for p in powers if p]) if any(powers) else None,
                "shapes_mnk": shapes,
                "burst_ms": burst_ms,
                "sustained_ms": sustained_ms,
                "sustained_over_burst": ratio,
                "gemm_time_weighted_ratio": sum(sustained_ms) / sum(burst_ms),
                "copy_512MiB_burst_ms": copy_burst_ms,
                "copy_512MiB_after_load_ms": copy_sustained_ms,
                "samples": len(per_gemm[0]),
            }
        )
    )


if __name__ == "__main__":
    main()
