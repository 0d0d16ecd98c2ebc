#!/usr/bin/env python3
"""inferplan GPU worker for the `torch` backend: read cases on stdin, time them, answer on stdout.

Run by the orchestrator, one process per GPU (CUDA_VISIBLE_DEVICES picks it). Protocol: protocol.py.
torch is imported lazily so the protocol and case parsing run (and are tested) without it."""

import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cases import parse_case  # noqa: E402
from nccl_group import apply_safe_env  # noqa: E402
from protocol import PROTOCOL_VERSION, ProtocolError, emit, error_message, parse_request  # noqa: E402

apply_safe_env()


def environment():
    """The hello message: what the rows measured on this worker will carry as provenance."""
    import torch

    hello = {"type": "hello", "protocol": PROTOCOL_VERSION, "pid": os.getpid(), "torch": torch.__version__,
             "cuda": torch.version.cuda, "python": sys.version.split()[0]}
    if not torch.cuda.is_available():
        hello.update({"device": None, "sm": None, "free_mem_bytes": 0, "driver": None, "gpu_count": 0})
        return hello
    props = torch.cuda.get_device_properties(0)
    free, total = torch.cuda.mem_get_info(0)
    hello.update({"device": props.name, "sm": props.major * 10 + props.minor, "free_mem_bytes": int(free),
                  "total_mem_bytes": int(total), "gpu_count": torch.cuda.device_count(),
                  "cudnn": torch.backends.cudnn.version(), "driver": None})
    try:
        import pynvml

        pynvml.nvmlInit()
        driver = pynvml.nvmlSystemGetDriverVersion()
        hello["driver"] = driver.decode() if isinstance(driver, bytes) else driver
    except Exception:  # noqa: BLE001 - NVML missing: provenance says null
        pass
    return hello


class Worker:
    def __init__(self):
        self.nccl = None
        self.power = None

    def _power(self, wanted):
        if not wanted:
            return None
        if self.power is None:
            try:
                from timing import PowerSampler

                self.power = PowerSampler(0)
            except Exception as error:  # noqa: BLE001 - power is optional: say why once
                print(f"worker: power measurement unavailable: {error}", file=sys.stderr)
                self.power = False
        return self.power or None

    def run_case(self, request):
        import torch

        op, options = request["op"], request["options"]
        case = parse_case(op, request["params"])
        start = time.perf_counter()
        if op == "nccl":
            return self._run_nccl(case, start)
        from kernels import BUILDERS
        from timing import benchmark

        kernel = BUILDERS[op](case)
        info = dict(kernel.info)
        kernel_source = kernel.kernel_source
        try:
            with torch.inference_mode():
                timing = benchmark(kernel.step, use_graph=True, power=self._power(options.get("measure_power", False)))
        finally:
            del kernel
            torch.cuda.synchronize()
        return self._result(request["case_id"], timing, start, kernel_source, info)

    def _run_nccl(self, case, start):
        world = case["num_gpus"]
        if self.nccl is not None and self.nccl.world != world:
            self.nccl.close()
            self.nccl = None
        if self.nccl is None:
            import torch

            if torch.cuda.device_count() < world:
                from protocol import UnsupportedCase

                raise UnsupportedCase(f"nccl case needs {world} GPUs; this worker sees {torch.cuda.device_count()}")
            from nccl_group import NcclGroup

            self.nccl = NcclGroup(world, list(range(world)))
        measured = self.nccl.run(case)
        used_graph = measured["graph_ms"] is not None
        latency = measured["graph_ms"] if used_graph else measured["eager_ms"]
        timing = {"latency_ms": latency, "runs": 20, "repeat_n": 1, "used_cuda_graph": used_graph,
                  "timed_ms": latency * 20, "eager_latency_ms": measured["eager_ms"],
                  "graph_error": measured["graph_error"]}
        return self._result(None, timing, start, "nccl", {})

    def _result(self, case_id, timing, start, kernel_source, info):
        out = {"type": "result", "case_id": case_id, "kernel_source": kernel_source,
               "latency_ms": timing["latency_ms"], "runs": timing["runs"], "repeat_n": timing["repeat_n"],
               "used_cuda_graph": timing["used_cuda_graph"], "timed_ms": timing.get("timed_ms"),
               "case_wall_ms": (time.perf_counter() - start) * 1000.0}
        for key in ("eager_latency_ms", "graph_error", "power_w", "power_limit_w", "throttled", "spread"):
            if timing.get(key) is not None:
                out[key] = timing[key]
        if info:
            out["info"] = info
        return out


def main():
    worker = Worker()
    try:
        emit(environment())
    except Exception as error:  # noqa: BLE001 - a broken environment is reported, then fatal
        emit({"type": "error", "case_id": None, "error_type": type(error).__name__, "message": str(error),
              "traceback": traceback.format_exc(), "fatal": True, "classification": "resource_issue"})
        return 3
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        case_id = None
        try:
            request = parse_request(line)
            if request["type"] == "shutdown":
                break
            case_id = request["case_id"]
            result = worker.run_case(request)
            result["case_id"] = case_id
            emit(result)
        except ProtocolError as error:
            emit(error_message(case_id, error, traceback.format_exc()))
        except Exception as error:  # noqa: BLE001 - every case failure is answered, never swallowed
            message = error_message(case_id, error, traceback.format_exc())
            emit(message)
            if message["fatal"]:
                # The CUDA context is poisoned: exit so the parent starts a fresh worker.
                return 4
            _free_memory()
    if worker.nccl is not None:
        worker.nccl.close()
    return 0


def _free_memory():
    try:
        import torch

        torch.cuda.empty_cache()
    except Exception:  # noqa: BLE001
        pass


if __name__ == "__main__":
    sys.exit(main())
