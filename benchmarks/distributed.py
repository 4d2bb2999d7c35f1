"""Data parallelism on MPI: collective bandwidth and the scaling of a training step.

allreduce  ``dist.all_reduce`` of a float32 buffer (default 25 MB) against raw
           mpi4py's ``Allreduce`` on the same buffer, rounds interleaved; bandwidth
           is bytes / time (the bar: ours >= 0.9x raw).
step       784-1024-1024-10 MLP (ReLU), cross-entropy, SGD, float32, batch B per
           rank (default 128). "1 rank" is one process on batch B while the other
           ranks sleep; "N ranks, overlap" is DistributedDataParallel (bucketed
           all-reduces started during backward); "N ranks, no overlap" is the same
           model with one all-reduce of all gradients after backward. The bar: with
           overlap, N ranks cost at most 1.15x one rank (each rank one BLAS thread).
           "exposed" is the time backward's end waited for all-reduces. The floor
           no N-rank step can beat: "compute only" (N ranks each stepping alone at
           once: what sharing the machine's memory and caches costs) plus "all-reduce
           alone" of the gradients' size (its copies and sums take CPU time that no
           overlap hides while every core computes). Medians and bests (the least
           disturbed round) of interleaved rounds.

Run under MPI: ``mpiexec -n 2 python -m benchmarks distributed``; started without
mpiexec, the suite starts itself under it with ``--ranks`` ranks (default 2).
Each rank gets one OpenBLAS thread. Rank 0 prints the tables and writes the JSON.
"""
import importlib.util
import os
import subprocess
import sys
import time

import numpy as np

from ._common import fmt_num, machine_info, print_table, ratio, summarize

NAME = "distributed"
HELP = "all-reduce bandwidth vs raw mpi4py; 1 vs N rank training steps, with and without overlap"


def add_arguments(p):
    p.add_argument("--ranks", type=int, default=2,
                   help="ranks to start when not already under mpiexec (default: %(default)s)")
    p.add_argument("--size-mb", type=float, default=25.0, help="all-reduce buffer, MB (default: 25)")
    p.add_argument("--batch", type=int, default=128, help="per-rank batch of the step (default: 128)")
    p.add_argument("--steps", type=int, default=10, help="training steps per timed repeat (default: 10)")


def run(args):
    if importlib.util.find_spec("mpi4py") is None:
        print('distributed: skipped (mpi4py is not installed: pip install -e ".[dist]")')
        return {"skipped": "mpi4py not installed"}
    _one_blas_thread()
    from mpi4py import MPI
    if MPI.COMM_WORLD.Get_size() == 1 and args.ranks > 1:
        return _relaunch(args)
    import autograd.distributed as dist
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    bw = _allreduce(MPI.COMM_WORLD, int(args.size_mb * 2**20) // 4, args.repeat)
    steps = _steps(MPI.COMM_WORLD, args.batch, args.steps, args.repeat)
    dist.destroy_process_group()
    if rank != 0:
        args.json = None                           # rank 0 writes the file
        return {}
    result = {"suite": NAME, "machine": machine_info(), "ranks": world, "allreduce": bw, "step": steps}
    _print(result, args)
    return result


def _relaunch(args):
    """Not under mpiexec: run this suite under it, read rank 0's JSON back."""
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    import tempfile
    out = args.json or os.path.join(tempfile.mkdtemp(), "distributed.json")
    cmd = [mpiexec if os.access(mpiexec, os.X_OK) else "mpiexec", "-n", str(args.ranks), sys.executable,
           "-m", "benchmarks", NAME, "--json", out, "--repeat", str(args.repeat), "--size-mb",
           str(args.size_mb), "--batch", str(args.batch), "--steps", str(args.steps)]
    subprocess.run(cmd, check=True)
    import json
    with open(out) as f:
        result = json.load(f)
    args.json = None                               # already written where it was asked for
    return result


def _one_blas_thread():
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # for a relaunch
    import ctypes
    import re
    try:
        with open("/proc/self/maps") as f:
            paths = sorted(set(re.findall(r"(/\S*openblas\S*\.so[\w.]*)", f.read())))
    except OSError:
        return
    for path in paths:
        for name in ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
                     "openblas_set_num_threads64_"):
            fn = getattr(ctypes.CDLL(path), name, None)
            if fn is not None:
                fn(1)
                break


def _allreduce(comm, n, repeat):
    """Median seconds of ours and raw mpi4py's all-reduce on one buffer, rounds interleaved."""
    from mpi4py import MPI

    import autograd as ag
    import autograd.distributed as dist
    buf = np.ones(n, dtype=np.float32)
    tensor = ag.from_numpy(buf)                    # the same memory
    sides = {"ours": lambda: dist.all_reduce(tensor),
             "ours_async": lambda: dist.all_reduce(tensor, async_op=True).wait(),
             "mpi4py": lambda: comm.Allreduce(MPI.IN_PLACE, buf, MPI.SUM)}
    samples = {k: [] for k in sides}
    for r in range(1 + repeat):
        for key, fn in sides.items():
            comm.Barrier()
            t0 = time.perf_counter()
            fn()
            dt = comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)
            if r:
                samples[key].append(dt)
    out = {"bytes": n * 4}
    for key, s in samples.items():
        out[key] = summarize(s)
        out[key]["GB_s"] = n * 4 / out[key]["median"] / 1e9
    out["ours_vs_raw"] = ratio(out["ours"]["GB_s"], out["mpi4py"]["GB_s"])
    return out


def _mlp(nn):
    return nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                         nn.Linear(1024, 10))


def _steps(comm, batch, steps, repeat):
    from mpi4py import MPI

    import autograd as ag
    import autograd.distributed as dist
    import nn
    import nn.functional as F
    rank = comm.Get_rank()
    rng = np.random.default_rng(rank)
    x = ag.tensor(rng.normal(size=(batch, 784)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 10, size=batch))
    exposed = [0.0]

    def make(kind):
        ag.manual_seed(0)
        model = _mlp(nn)
        ddp = nn.parallel.DistributedDataParallel(model) if kind == "overlap" else None
        run = ddp if ddp is not None else model
        opt = nn.optim.SGD(model.parameters(), lr=0.01)
        params = list(model.parameters())
        flat = ag.from_numpy(np.zeros(sum(p.array.size for p in params), dtype=np.float32))

        def step():
            opt.zero_grad()
            F.cross_entropy(run(x), y).backward()
            if kind == "no_overlap":                   # one all-reduce after backward
                t0 = time.perf_counter()
                _all_reduce_grads(dist, params, flat)
                exposed[0] += time.perf_counter() - t0
            opt.step()

        def allreduce_alone():                         # the gradients' all-reduce, nothing else
            t0 = time.perf_counter()
            dist.all_reduce(flat, op=dist.ReduceOp.AVG)
            exposed[0] += time.perf_counter() - t0
        return (allreduce_alone if kind == "allreduce" else step), ddp

    kinds = ("single", "compute", "allreduce", "overlap", "no_overlap")
    runs = {kind: make(kind) for kind in kinds}
    times, waits = {k: [] for k in kinds}, {k: [] for k in kinds}
    for r in range(1 + repeat):                        # rounds interleaved: load hits all alike
        for kind in kinds:
            step, ddp = runs[kind]
            comm.Barrier()
            if kind == "single" and rank != 0:         # the others sleep (no busy MPI wait)
                request = comm.Ibarrier()
                while not request.Test():
                    time.sleep(0.005)
                continue
            before = ddp.reducer.wait_seconds if ddp is not None else exposed[0]
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            dt = (time.perf_counter() - t0) / steps
            after = ddp.reducer.wait_seconds if ddp is not None else exposed[0]
            if kind == "single":
                comm.Ibarrier().Wait()
            if r:
                times[kind].append(dt)
                waits[kind].append((after - before) / steps)
    out = {"batch_per_rank": batch, "steps": steps}
    for kind in kinds:
        row = {}
        for key, pick, v in (("ms", np.median, times), ("best_ms", np.min, times),
                             ("exposed_ms", np.median, waits)):
            row[key] = 1e3 * comm.allreduce(float(pick(v[kind])) if v[kind] else 0.0, op=MPI.MAX)
        out[kind] = row
    # no step on N ranks beats its compute on N busy ranks plus the all-reduce's CPU time,
    # which overlap cannot hide where every core is computing
    out["floor"] = {key: out["compute"][key] + out["allreduce"][key] for key in ("ms", "best_ms")}
    for kind in ("compute", "allreduce", "floor", "overlap", "no_overlap"):
        out[kind]["vs_single"] = ratio(out[kind]["ms"], out["single"]["ms"])
        out[kind]["best_vs_single"] = ratio(out[kind]["best_ms"], out["single"]["best_ms"])
    out["overlap_vs_single"] = out["overlap"]["vs_single"]
    out["no_overlap_vs_single"] = out["no_overlap"]["vs_single"]
    out["scaling_efficiency"] = ratio(out["single"]["ms"], out["overlap"]["ms"])
    return out


def _all_reduce_grads(dist, params, flat):
    """All gradients in one flat buffer, one all-reduce, and back (DDP without buckets)."""
    offset = 0
    for p in params:
        flat.array[offset:offset + p.array.size] = p.grad.array.reshape(-1)
        offset += p.array.size
    dist.all_reduce(flat, op=dist.ReduceOp.AVG)
    offset = 0
    for p in params:
        p.grad.array[...] = flat.array[offset:offset + p.array.size].reshape(p.shape)
        offset += p.array.size


def _print(result, args):
    bw, st = result["allreduce"], result["step"]
    print(f"\nall-reduce of {bw['bytes'] / 2**20:.0f} MB float32 on {result['ranks']} ranks "
          f"(median of {args.repeat})")
    print_table(["", "ms", "GB/s", "vs raw"], [
        [name, fmt_num(1e3 * bw[key]["median"]), fmt_num(bw[key]["GB_s"]),
         fmt_num(ratio(bw[key]["GB_s"], bw["mpi4py"]["GB_s"]))]
        for name, key in (("raw mpi4py Allreduce", "mpi4py"), ("dist.all_reduce", "ours"),
                          ("dist.all_reduce async + wait", "ours_async"))])
    print(f"\nMLP 784-1024-1024-10 step, batch {st['batch_per_rank']} per rank, one BLAS thread per rank "
          f"(median and best of {args.repeat})")
    n = result["ranks"]
    rows = [["1 rank (the others idle)", "single"],
            [f"{n} ranks, compute only (no all-reduce)", "compute"],
            [f"all-reduce of the gradients alone", "allreduce"],
            [f"floor: compute + all-reduce", "floor"],
            [f"{n} ranks, DDP (overlap)", "overlap"],
            [f"{n} ranks, all-reduce after backward", "no_overlap"]]
    print_table(["", "ms/step", "best ms", "exposed all-reduce ms", "vs 1 rank", "best vs 1 rank"], [
        [name, fmt_num(st[key]["ms"]), fmt_num(st[key]["best_ms"]),
         fmt_num(st[key]["exposed_ms"]) if key in ("overlap", "no_overlap") else "-",
         fmt_num(st[key].get("vs_single", 1.0)), fmt_num(st[key].get("best_vs_single", 1.0))]
        for name, key in rows])
    print(f"\nbars: all-reduce >= 0.9x raw: {bw['ours_vs_raw']:.2f}x; "
          f"{n}-rank step <= 1.15x one rank: {st['overlap_vs_single']:.2f}x "
          f"(floor {st['floor']['vs_single']:.2f}x)")
