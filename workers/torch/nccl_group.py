"""NCCL collectives, one process per GPU (torch.distributed). The worker is rank 0 and starts
helper ranks (this file run as a script) on first use; each case is broadcast to every rank,
all ranks run it, and the slowest rank's median is the case latency: replayed from a CUDA graph,
as decode steps run them (the eager time is kept beside it)."""

import os
import socket
import statistics
import subprocess
import sys

# NVLink multicast stays off in every process we start (it can take shared GPUs out of service).
SAFE_ENV = {"NCCL_NVLS_ENABLE": "0", "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1", "NVSHMEM_DISABLE_NVLS": "1"}


def apply_safe_env(env=None):
    target = os.environ if env is None else env
    target.update(SAFE_ENV)
    return target


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dtype(torch, name):
    return {"bfloat16": torch.bfloat16, "float16": torch.float16, "int8": torch.int8, "float32": torch.float32,
            "fp8": torch.float8_e4m3fn}[name]


def run_collective(case, warmup=5, runs=20):
    """Time one collective on every rank: this rank's median per-call latency (ms) replayed from a
    CUDA graph (`graph_ms`, None when capture failed, with `graph_error`) and launched eagerly
    (`eager_ms`)."""
    import torch
    import torch.distributed as dist

    world = dist.get_world_size()
    dt = _dtype(torch, case["nccl_dtype"])
    n = case["message_size"]
    op = case["op_name"]
    dev = torch.device("cuda", torch.cuda.current_device())

    def make(count):
        if dt.is_floating_point and dt != torch.float8_e4m3fn:
            return torch.randn(count, device=dev, dtype=dt)
        return torch.randint(-8, 8, (count,), device=dev, dtype=torch.int8).to(dt)

    if op == "all_reduce":
        buf = make(n)

        def call():
            dist.all_reduce(buf)
    elif op == "all_gather":
        # message_size = elements of the gathered output (AIC convention: the full tensor).
        part = max(1, n // world)
        src, dst = make(part), make(part * world)

        def call():
            dist.all_gather_into_tensor(dst, src)
    elif op == "reduce_scatter":
        part = max(1, n // world)
        src, dst = make(part * world), make(part)

        def call():
            dist.reduce_scatter_tensor(dst, src)
    elif op == "alltoall":
        count = max(world, (n // world) * world)
        src, dst = make(count), make(count)

        def call():
            dist.all_to_all_single(dst, src)
    else:
        raise ValueError(f"unknown collective {op!r}")
    for _ in range(warmup):
        call()
    torch.cuda.synchronize()
    repeat = 10 if n * dt.itemsize < (8 << 20) else 2

    def timed(run):
        samples = []
        for _ in range(runs):
            dist.barrier()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            run()
            end.record()
            end.synchronize()
            samples.append(start.elapsed_time(end) / repeat)
        return statistics.median(samples)

    def eager():
        for _ in range(repeat):
            call()

    eager_ms = timed(eager)
    # Decode steps replay CUDA graphs, collectives included: time `repeat` calls captured in one
    # graph too. Small messages cost a fraction of their eager time there (no per-call launch).
    graph_ms, graph_error, graph = None, None, None
    try:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            call()
        torch.cuda.current_stream().wait_stream(side)
        torch.cuda.synchronize()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            eager()
    except Exception as error:  # noqa: BLE001 - recorded: the eager time stands
        graph = None
        graph_error = f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
    # Every rank replays (the collectives pair up) or none does.
    flag = torch.tensor([1.0 if graph is not None else 0.0], device=dev)
    dist.all_reduce(flag, op=dist.ReduceOp.MIN)
    if flag.item() > 0:
        graph.replay()
        torch.cuda.synchronize()
        graph_ms = timed(graph.replay)
    elif graph is not None:
        graph_error = "graph capture failed on another rank"
    del graph
    return {"graph_ms": graph_ms, "eager_ms": eager_ms, "graph_error": graph_error}


def slowest_rank(mine):
    """Every rank's timings reduced to the slowest (all ranks call it). A rank whose graph capture
    failed makes the case eager on all of them."""
    import torch
    import torch.distributed as dist

    t = torch.tensor([mine["graph_ms"] if mine["graph_ms"] is not None else -1.0, mine["eager_ms"],
                      1.0 if mine["graph_ms"] is None else 0.0], device="cuda", dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    graph_ms = None if t[2].item() > 0 else float(t[0].item())
    return {"graph_ms": graph_ms, "eager_ms": float(t[1].item()), "graph_error": mine["graph_error"]}


class NcclGroup:
    """Rank 0 side: starts helper ranks for `world` GPUs and runs cases on all of them."""

    def __init__(self, world, gpus):
        import torch
        import torch.distributed as dist

        self.world = world
        port = _free_port()
        env = apply_safe_env(dict(os.environ))
        env["MASTER_ADDR"], env["MASTER_PORT"] = "127.0.0.1", str(port)
        self.children = []
        for rank in range(1, world):
            child_env = dict(env)
            child_env["INFERPLAN_NCCL_DEVICE"] = str(gpus[rank])
            self.children.append(subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), str(rank), str(world)],
                env=child_env, stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr))
        os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
        torch.cuda.set_device(0)
        dist.init_process_group("nccl", rank=0, world_size=world, device_id=torch.device("cuda", 0))

    def run(self, case):
        """The case's timings: the slowest rank's graph-replay and eager per-call medians (ms)."""
        import torch.distributed as dist

        payload = [case]
        dist.broadcast_object_list(payload, src=0)
        return slowest_rank(run_collective(case))

    def close(self):
        import torch.distributed as dist

        try:
            dist.broadcast_object_list([None], src=0)
            dist.destroy_process_group()
        finally:
            for child in self.children:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()


def _helper_main(rank, world):
    apply_safe_env()
    import torch
    import torch.distributed as dist

    device = int(os.environ.get("INFERPLAN_NCCL_DEVICE", rank))
    torch.cuda.set_device(device)
    dist.init_process_group("nccl", rank=rank, world_size=world, device_id=torch.device("cuda", device))
    while True:
        payload = [None]
        dist.broadcast_object_list(payload, src=0)
        case = payload[0]
        if case is None:
            break
        slowest_rank(run_collective(case))
    dist.destroy_process_group()


if __name__ == "__main__":
    _helper_main(int(sys.argv[1]), int(sys.argv[2]))
