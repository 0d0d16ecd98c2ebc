"""Timing rules shared by the collector and the reference runner (see torch-backend.md):
warm-up, CUDA-graph replay for decode-like ops with an eager fallback that is recorded,
CUDA events around the timed region, median of repeated runs, optional NVML power."""

import math
import statistics
import threading


class PowerSampler:
    """Samples board power every 100 ms in a thread while active (NVML through pynvml)."""

    def __init__(self, device_index):
        import pynvml  # nvidia-ml-py

        self._nvml = pynvml
        pynvml.nvmlInit()
        self._handle = pynvml.nvmlDeviceGetHandleByIndex(device_index)
        self.power_limit_w = pynvml.nvmlDeviceGetPowerManagementLimit(self._handle) / 1000.0
        self._samples = []
        self._stop = threading.Event()
        self._thread = None

    def sm_clock_mhz(self):
        return self._nvml.nvmlDeviceGetClockInfo(self._handle, self._nvml.NVML_CLOCK_SM)

    def __enter__(self):
        self._samples = []
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                self._samples.append(self._nvml.nvmlDeviceGetPowerUsage(self._handle) / 1000.0)
            except Exception:  # noqa: BLE001 - a missed sample is not worth failing a case
                pass
            self._stop.wait(0.1)

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread:
            self._thread.join()
        return False

    def mean_power_w(self):
        return statistics.fmean(self._samples) if self._samples else None


def _event_time_ms(torch, fn):
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end)


def benchmark(step, *, use_graph, target_run_ms=2.0, budget_ms=400.0, max_repeat=200, min_runs=3,
              max_runs=15, power=None, power_min_s=1.0, eager_reference=True):
    """Time `step(i)` (i = call index, for rotating input copies).

    Returns a dict: latency_ms (median per call), runs, repeat_n, used_cuda_graph, eager_latency_ms
    (per-call time of an eager loop: host launch cost included; only when a graph ran), graph_error,
    power_w, power_limit_w, throttled, timed_ms (GPU time spent in timed loops)."""
    import torch

    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for i in range(3):
            step(i)
    torch.cuda.current_stream().wait_stream(stream)
    torch.cuda.synchronize()
    estimate_ms = max(_event_time_ms(torch, lambda: step(0)), 1e-4)
    repeat_n = int(min(max_repeat, max(1, math.ceil(target_run_ms / estimate_ms))))

    def eager_loop():
        for i in range(repeat_n):
            step(i)

    run_once = eager_loop
    used_graph = False
    graph_error = None
    if use_graph:
        try:
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                for i in range(repeat_n):
                    step(i)
            graph.replay()
            torch.cuda.synchronize()
            run_once = graph.replay
            used_graph = True
        except Exception as error:  # noqa: BLE001 - capture failures fall back to eager, recorded
            graph_error = f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
            run_once = eager_loop

    run_ms = max(_event_time_ms(torch, run_once), 1e-4)
    runs = int(min(max_runs, max(min_runs, budget_ms // run_ms)))
    start_clock = power.sm_clock_mhz() if power else None
    samples = []
    timed_ms = 0.0
    power_w = None
    if power:
        # Lengthen the loop so the 100 ms power samples see the kernel, not idle gaps.
        runs = max(runs, int(math.ceil(power_min_s * 1000.0 / run_ms)))
        with power:
            starts = [torch.cuda.Event(enable_timing=True) for _ in range(runs)]
            ends = [torch.cuda.Event(enable_timing=True) for _ in range(runs)]
            for r in range(runs):
                starts[r].record()
                run_once()
                ends[r].record()
            torch.cuda.synchronize()
        power_w = power.mean_power_w()
        samples = [s.elapsed_time(e) for s, e in zip(starts, ends)]
    else:
        for _ in range(runs):
            samples.append(_event_time_ms(torch, run_once))
    timed_ms = sum(samples)
    end_clock = power.sm_clock_mhz() if power else None
    latency_ms = statistics.median(samples) / repeat_n
    eager_latency_ms = None
    if used_graph and eager_reference:
        eager_latency_ms = statistics.median([_event_time_ms(torch, eager_loop) for _ in range(3)]) / repeat_n
    return {
        "latency_ms": latency_ms,
        "runs": runs,
        "repeat_n": repeat_n,
        "used_cuda_graph": used_graph,
        "graph_error": graph_error,
        "eager_latency_ms": eager_latency_ms,
        "power_w": power_w,
        "power_limit_w": power.power_limit_w if power else None,
        "throttled": bool(start_clock and end_clock and end_clock < 0.9 * start_clock),
        "timed_ms": timed_ms,
        "spread": (max(samples) - min(samples)) / max(statistics.median(samples), 1e-9),
    }
