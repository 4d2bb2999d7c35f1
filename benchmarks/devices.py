"""Per-op overhead on each device: the cost of the Python bookkeeping where the
arithmetic is nearly free, on the CPU and on the GPU.

chain    100 elementwise ops (``x + c1``, ``x * c2``, ``x.tanh()``) on a 16 x 16 float32
         tensor, forward and backward (the ``overhead`` suite's chain)
matmul   100 products of 16 x 16 matrices in a chain, forward and backward

Microseconds per op, best of ``--repeat`` repeats; on the GPU the device is
synchronised once per iteration, after backward (as reading a loss would), so a
needless synchronisation inside an op would show up as a larger GPU figure. The
issue's bar: GPU overhead at most 1.5x the CPU's. ``--device cuda`` without CuPy
and a GPU prints a "skipped" line. On the CPU it also serves as the before/after
check that the offload hook costs nothing on small matmuls.
"""

import time

import numpy as np

from ._common import fmt_num, machine_info, print_table, settle_gc
from .overhead import _chain_forward, _chain_inputs

NAME = "devices"
HELP = "per-op Python overhead on tiny tensors, on each device (CPU vs GPU)"


def add_arguments(p):
    p.add_argument("--device", choices=("cpu", "cuda", "all"), default="all")
    p.add_argument("--ops", type=int, default=100, help="ops per chain (default: %(default)s)")
    p.add_argument("--iters", type=int, default=50,
                   help="iterations per timed repeat (default: %(default)s)")


def _tasks(ag, device, n_ops):
    x0, c1, c2 = _chain_inputs(0)
    x = ag.tensor(x0, device=device, requires_grad=True)
    t1, t2 = ag.tensor(c1, device=device), ag.tensor(c2, device=device)
    rng = np.random.default_rng(0)
    a = ag.tensor((0.2 * rng.standard_normal((16, 16))).astype(np.float32), device=device,
                  requires_grad=True)
    w = ag.tensor((0.2 * rng.standard_normal((16, 16))).astype(np.float32), device=device,
                  requires_grad=True)

    def chain():
        x.grad = None
        _chain_forward(x, t1, t2, n_ops).sum().backward()

    def matmuls():
        a.grad = w.grad = None
        y = a
        for _ in range(n_ops):
            y = y @ w
        y.sum().backward()
    return {"chain": chain, "matmul": matmuls}


def run(args):
    import autograd as ag

    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    result = {"benchmark": "devices", "ops": args.ops, "iters": args.iters,
              "repeat": args.repeat, "unit": "us/op"}
    if "cuda" in devices and not ag.cuda.is_available():
        result["skipped"] = "no CUDA device (CuPy and an NVIDIA GPU are needed): cuda skipped"
        print(result["skipped"])
        devices.remove("cuda")
    tasks = {d: _tasks(ag, d, args.ops) for d in devices}
    best = {}
    for r in range(1 + args.repeat):                # round-robin; the first is a warm-up
        for d in devices:
            sync = ag.backends.get(d).synchronize
            for name, fn in tasks[d].items():
                settle_gc()
                sync()
                t0 = time.perf_counter()
                for _ in range(args.iters):
                    fn()
                    sync()
                t = (time.perf_counter() - t0) / args.iters / args.ops * 1e6
                if r:
                    best[(d, name)] = min(best.get((d, name), t), t)
    rows = []
    for name in ("chain", "matmul"):
        cpu, gpu = best.get(("cpu", name)), best.get(("cuda", name))
        result[name] = {d: best.get((d, name)) for d in devices}
        ratio = gpu / cpu if cpu and gpu else None
        result[name]["cuda/cpu"] = ratio
        rows.append([name, fmt_num(cpu), fmt_num(gpu),
                     fmt_num(ratio) + ("x" if ratio else "")])
    result["machine"] = machine_info()
    print(f"\nper-op overhead, forward+backward, 16x16 float32, {args.ops} ops; best of "
          f"{args.repeat} repeats x {args.iters} iterations; us/op")
    print_table(["workload", "cpu", "cuda", "cuda/cpu (bar: <= 1.5x)"], rows)
    return result
