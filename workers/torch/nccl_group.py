"""NCCL collectives, one process per GPU (torch.distributed). The worker is rank 0 and starts
helper ranks (this file run as a script) on first use; each case is broadcast to every rank,
all ranks run it, and the slowest rank's median is the case latency."""

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
    """Time one collective on every rank; returns this rank's median per-call latency (ms)."""
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
    samples = []
    for _ in range(runs):
        dist.barrier()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(repeat):
            call()
        end.record()
        end.synchronize()
        samples.append(start.elapsed_time(end) / repeat)
    return statistics.median(samples)


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
        import torch
        import torch.distributed as dist

        payload = [case]
        dist.broadcast_object_list(payload, src=0)
        mine = run_collective(case)
        t = torch.tensor([mine], device="cuda", dtype=torch.float64)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return float(t.item())

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
        mine = run_collective(case)
        t = torch.tensor([mine], device="cuda", dtype=torch.float64)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
    dist.destroy_process_group()


if __name__ == "__main__":
    _helper_main(int(sys.argv[1]), int(sys.argv[2]))
