"""Matrix-multiply throughput on each device, the CPU/GPU crossover, and calibration.

For each size n, an n x n by n x n float32 product (2 n^3 FLOPs), in GFLOP/s:

cpu        NumPy alone, tapegrad (``x @ w`` on CPU tensors), PyTorch CPU
cuda       CuPy alone, tapegrad on ``cuda`` tensors, PyTorch CUDA: operands already
           on the GPU (compute only)
cuda+copy  the same, transfers included: operands start on the CPU and the product
           comes back to it (for tapegrad this is the offload route,
           ``ag.backends.offload``, exactly as training would use it)

The crossover is the smallest size from which tapegrad's offloaded product (transfers
included) beats tapegrad on the CPU at that size and every larger one measured; its
FLOP count (2 n^3) is what ``--calibrate`` stores as the default offload threshold
(``ag.backends.calibration_path()``, i.e. ``$XDG_CACHE_HOME/tapegrad/offload.json``).

Default sizes: 64..8192 (powers of two) on the GPU; on the CPU the list stops at
2048, since a 4096 product alone takes seconds on a few cores and 8192 minutes
(``--sizes`` overrides both). GPU times are read from CUDA events after the device
has synchronised (PyTorch: torch.cuda.synchronize before the clock stops). Each
cell is the best of ``--repeat`` repeats, each repeat enough calls to last
``--min-time`` seconds, after a warm-up of as long. PyTorch's columns are measured
in a child process after the others: sharing a process, its OpenMP threads and
NumPy's OpenBLAS threads slowed each other's small products by up to 100x on a
2-core machine.

``--device cuda`` without CuPy and a GPU prints a "skipped" line; ``--device all``
then runs the CPU part. ``--plot out.png`` draws GFLOP/s against size (log-log), one
line per device and library, when matplotlib is installed.
"""

import datetime
import importlib.util
import json
import os
import subprocess
import sys
import time

import numpy as np

from ._common import fmt_num, machine_info, print_table, settle_gc

NAME = "matmul"
HELP = "matmul GFLOP/s per size on CPU and GPU (with/without transfers), crossover, calibration"

CPU_SIZES = (64, 128, 256, 512, 1024, 2048)
GPU_SIZES = (64, 128, 256, 512, 1024, 2048, 4096, 8192)


def add_arguments(p):
    p.add_argument("--device", choices=("cpu", "cuda", "all"), default="all",
                   help="which devices to measure (default: %(default)s)")
    p.add_argument("--sizes", default=None,
                   help="comma-separated sizes n (default: 64..2048 on the CPU, 64..8192 on "
                        "the GPU)")
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--min-time", type=float, default=0.1,
                   help="seconds of calls per timed repeat (default: %(default)s)")
    p.add_argument("--no-torch", action="store_true",
                   help="skip PyTorch even if it is installed")
    p.add_argument("--calibrate", action="store_true",
                   help="store the measured crossover as the default offload threshold "
                        "(needs a GPU)")
    p.add_argument("--plot", metavar="PNG", default=None,
                   help="write a log-log plot of GFLOP/s against size (needs matplotlib)")


# --------------------------------------------------------------------------
# analysis


def crossover(sizes, cpu_times, gpu_times):
    """The smallest size from which the GPU time beats the CPU time at that size and
    at every larger one; None if the GPU never ends up ahead. Sizes ascending; a time
    may be None (not measured), which counts as not winning."""
    best = None
    for n, c, g in reversed(list(zip(sizes, cpu_times, gpu_times))):
        if c is None or g is None or not g < c:
            break
        best = n
    return best


def gflops(n, seconds):
    return None if not seconds else 2.0 * n ** 3 / seconds / 1e9


# --------------------------------------------------------------------------
# timing


def _iters(call, timer, min_time):
    """Calls per timed repeat: enough to last about `min_time` seconds. Warms up first
    by calling for about `min_time` (at least 3 calls): the first calls of a library
    (thread-pool start, kernel compilation, memory-pool growth) are far slower."""
    t0 = time.perf_counter()
    per_call, calls = timer(call, 1), 1
    while calls < 3 or time.perf_counter() - t0 < min_time:
        per_call = timer(call, 1)
        calls += 1
        if calls >= 1000:
            break
    return max(1, min(1000, int(min_time / max(per_call, 1e-7))))


def _cpu_timer(fn, iters):
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - t0) / iters


def _torch_cuda_timer(torch):
    def timer(fn, iters):
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3 / iters
    return timer


# --------------------------------------------------------------------------
# the columns: (group, library) -> setup(a, b) -> (call, timer)


def _columns(devices, ag):
    """NumPy, CuPy and tapegrad columns (measured in this process)."""
    cols = {}
    if "cpu" in devices:
        cols[("cpu", "numpy")] = lambda a, b: (lambda: np.matmul(a, b), _cpu_timer)

        def ours_cpu(a, b):
            x, w = ag.tensor(a), ag.tensor(b)
            return (lambda: x @ w), _cpu_timer
        cols[("cpu", "tapegrad")] = ours_cpu
    if "cuda" in devices:
        import cupy
        gpu = ag.backends.get("cuda")

        def cupy_dev(a, b):
            x, w = cupy.asarray(a), cupy.asarray(b)
            return (lambda: cupy.matmul(x, w)), gpu.time_call
        cols[("cuda", "cupy")] = cupy_dev

        def ours_dev(a, b):
            x, w = ag.tensor(a, device="cuda"), ag.tensor(b, device="cuda")
            return (lambda: x @ w), gpu.time_call
        cols[("cuda", "tapegrad")] = ours_dev

        def cupy_copy(a, b):
            return (lambda: cupy.asnumpy(cupy.matmul(cupy.asarray(a), cupy.asarray(b)))), \
                gpu.time_call
        cols[("cuda+copy", "cupy")] = cupy_copy

        def ours_offload(a, b):
            x, w = ag.tensor(a), ag.tensor(b)
            policy = ag.backends.OffloadPolicy(0, gpu)      # every product offloaded

            def call():
                previous = ag.backends._offload[0]
                ag.backends._offload[0] = policy
                try:
                    return x @ w
                finally:
                    ag.backends._offload[0] = previous
            return call, gpu.time_call
        cols[("cuda+copy", "tapegrad")] = ours_offload
    return cols


def _torch_columns(devices, torch):
    """PyTorch's columns (measured in a child process: see torch_probe)."""
    cols = {}
    if "cpu" in devices:
        def torch_cpu(a, b):
            x, w = torch.from_numpy(a), torch.from_numpy(b)
            return (lambda: x @ w), _cpu_timer
        cols[("cpu", "torch")] = torch_cpu
    if "cuda" in devices and torch.cuda.is_available():
        timer = _torch_cuda_timer(torch)

        def torch_dev(a, b):
            x, w = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
            return (lambda: x @ w), timer
        cols[("cuda", "torch")] = torch_dev

        def torch_copy(a, b):
            x, w = torch.from_numpy(a), torch.from_numpy(b)
            return (lambda: (x.cuda() @ w.cuda()).cpu()), timer
        cols[("cuda+copy", "torch")] = torch_copy
    return cols


def _measure(cols, sizes_for, repeat, min_time, dtype, seed=0):
    """Time every column at every size: {label: {str(n): {"s", "gflops"} or {"error"}}}
    and the list of failed cells. Columns are timed round-robin, repeat by repeat."""
    out, errors = {}, []
    rng = np.random.default_rng(seed)
    all_sizes = sorted({n for group, _ in cols for n in sizes_for(group)})
    for n in all_sizes:
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        tasks = {}
        for (group, lib), setup in cols.items():
            if n not in sizes_for(group):
                continue
            label = f"{group}/{lib}"
            try:
                call, timer = setup(a, b)
                tasks[label] = (call, timer, _iters(call, timer, min_time))
            except Exception as e:          # e.g. out of memory: report, keep going
                out.setdefault(label, {})[str(n)] = {"error": f"{type(e).__name__}: {e}"}
                errors.append(f"{label}@{n}")
        best = {}
        for _ in range(repeat):
            for label, (call, timer, iters) in list(tasks.items()):
                settle_gc()
                try:
                    t = timer(call, iters)
                except Exception as e:
                    out.setdefault(label, {})[str(n)] = {"error": f"{type(e).__name__}: {e}"}
                    errors.append(f"{label}@{n}")
                    del tasks[label]
                    continue
                best[label] = min(best.get(label, t), t)
        for label, t in best.items():
            out.setdefault(label, {})[str(n)] = {"s": t, "gflops": gflops(n, t)}
        del tasks
        print(f"  n={n} done", file=sys.stderr, flush=True)
    return out, errors


def torch_probe(spec):
    """Entry point of the child process that measures PyTorch's columns: in a process
    of its own, its OpenMP thread pool and NumPy's OpenBLAS pool never compete (on a
    small machine they slowed each other's small products by 100x). Prints JSON."""
    import torch
    cols = _torch_columns(spec["devices"], torch)
    sizes = {g: spec["sizes"][g] for g in spec["sizes"]}
    out, errors = _measure(cols, lambda g: sizes.get(g, []), spec["repeat"], spec["min_time"],
                           np.dtype(spec["dtype"]))
    print("RESULT " + json.dumps({"columns": out, "errors": errors,
                                  "version": torch.__version__,
                                  "threads": torch.get_num_threads()}))


def _torch_subprocess(devices, sizes_for, args):
    spec = {"devices": devices, "repeat": args.repeat, "min_time": args.min_time,
            "dtype": args.dtype,
            "sizes": {g: sizes_for(g) for g in ("cpu", "cuda", "cuda+copy")}}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = f"from benchmarks.matmul import torch_probe; torch_probe({spec!r})"
    try:
        proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                              text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"error": f"{type(e).__name__}: {e}"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}


def _sizes_for(group, args):
    if args.sizes:
        return sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    return list(CPU_SIZES if group == "cpu" else GPU_SIZES)


def _check(ag, devices, dtype):
    """Our products agree with NumPy's (a small size, each device and the route)."""
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal((96, 96)).astype(dtype) for _ in range(2))
    want = a.astype(np.float64) @ b.astype(np.float64)
    errs = {"cpu": ag.tensor(a) @ ag.tensor(b)}
    if "cuda" in devices:
        errs["cuda"] = ag.tensor(a, device="cuda") @ ag.tensor(b, device="cuda")
        with ag.backends.offload(0):
            errs["offload"] = ag.tensor(a) @ ag.tensor(b)
    return {k: float(np.abs(v.cpu().numpy() - want).max() / np.abs(want).max())
            for k, v in errs.items()}


def run(args):
    import autograd as ag

    # PyTorch is measured in a child process: here we only ask whether it is installed
    # (importing it would start its thread pool beside NumPy's)
    torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    skipped = None
    if "cuda" in devices and not ag.cuda.is_available():
        skipped = "no CUDA device (CuPy and an NVIDIA GPU are needed): cuda skipped"
        print(skipped)
        devices.remove("cuda")
    result = {"benchmark": "matmul", "dtype": args.dtype, "devices": devices,
              "min_time": args.min_time, "repeat": args.repeat, "unit": "GFLOP/s",
              "columns": {}}
    if skipped:
        result["skipped"] = skipped
    if not devices:
        result["machine"] = machine_info()
        if args.calibrate:
            print("calibration needs a GPU: nothing stored")
        return result
    dtype = np.dtype(args.dtype)
    result["max_rel_err"] = _check(ag, devices, dtype)
    sizes_for = lambda group: _sizes_for(group, args)          # noqa: E731
    result["columns"], errors = _measure(_columns(devices, ag), sizes_for, args.repeat,
                                         args.min_time, dtype)
    if torch:
        print("  PyTorch columns, in a separate process ...", file=sys.stderr, flush=True)
        tr = _torch_subprocess(devices, sizes_for, args)
        if "error" in tr:
            print(f"  PyTorch columns failed: {tr['error']}")
            errors.append("torch")
        else:
            result["columns"].update(tr["columns"])
            errors += tr["errors"]
            result["torch"] = tr["version"]
            result["torch_threads"] = tr["threads"]
    cross = None
    if "cuda" in devices:
        sizes = [n for n in _sizes_for("cpu", args) if n in _sizes_for("cuda+copy", args)]
        cpu_t = [result["columns"]["cpu/tapegrad"].get(str(n), {}).get("s") for n in sizes]
        gpu_t = [result["columns"]["cuda+copy/tapegrad"].get(str(n), {}).get("s")
                 for n in sizes]
        n_cross = crossover(sizes, cpu_t, gpu_t)
        cross = {"n": n_cross, "min_flops": None if n_cross is None else 2.0 * n_cross ** 3,
                 "sizes_compared": sizes}
        result["crossover"] = cross
    result["machine"] = machine_info()
    if "cuda" in devices:
        result["machine"]["gpu"] = _gpu_name()
    report(result)
    if args.calibrate:
        _calibrate(ag, result, cross)
    if args.plot:
        plot(result, args.plot)
    if errors:
        result["errors"] = errors
    return result


def _gpu_name():
    try:
        import cupy
        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        return name.decode() if isinstance(name, bytes) else str(name)
    except Exception:
        return None


def _calibrate(ag, result, cross):
    if cross is None:
        print("calibration needs a GPU: nothing stored")
        return
    if cross["n"] is None:
        # the GPU never won within the sizes measured: offload only beyond them
        largest = max(cross["sizes_compared"])
        min_flops, note = 2.0 * (2 * largest) ** 3, "GPU never faster in the sizes measured"
    else:
        min_flops, note = cross["min_flops"], "measured crossover"
    path = ag.backends.save_calibration(
        "cuda:0", min_flops, crossover_n=cross["n"], note=note, gpu=result["machine"].get("gpu"),
        cpu=result["machine"].get("processor"), dtype=result["dtype"],
        measured=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    print(f"\ncalibration stored in {path}: offload products of >= {min_flops:.3g} FLOPs "
          f"({note})")
    result["calibration"] = {"path": path, "min_flops": min_flops, "note": note}


# --------------------------------------------------------------------------
# output


def report(result):
    cols = result["columns"]
    sizes = sorted({int(n) for c in cols.values() for n in c})
    labels = list(cols)
    print(f"\nmatmul n x n @ n x n, {result['dtype']}: GFLOP/s, best of {result['repeat']} "
          f"repeats of >= {result['min_time']} s")
    headers = ["n"] + labels
    rows = []
    for n in sizes:
        row = [str(n)]
        for label in labels:
            c = cols[label].get(str(n), {})
            row.append("err" if "error" in c else fmt_num(c.get("gflops")))
        rows.append(row)
    print_table(headers, rows)
    ratios = []
    for n in sizes:
        for ours, ref in (("cpu/tapegrad", "cpu/numpy"), ("cuda/tapegrad", "cuda/cupy"),
                          ("cpu/tapegrad", "cpu/torch"), ("cuda/tapegrad", "cuda/torch")):
            o = cols.get(ours, {}).get(str(n), {}).get("gflops")
            r = cols.get(ref, {}).get(str(n), {}).get("gflops")
            if o and r:
                ratios.append((n, ours, ref, o / r))
    if ratios:
        largest = max(n for n, *_ in ratios)
        for n, ours, ref, r in ratios:
            if n == largest:
                print(f"  n={n}: {ours} / {ref} throughput = {r:.3f}x")
    if "max_rel_err" in result:
        print("  max relative error vs float64 NumPy (n=96): " + ", ".join(
            f"{k} {v:.1e}" for k, v in result["max_rel_err"].items()))
    cross = result.get("crossover")
    if cross:
        if cross["n"] is None:
            print("  crossover: the GPU with transfers never beat the CPU in the sizes "
                  f"compared ({cross['sizes_compared']})")
        else:
            print(f"  crossover: from n = {cross['n']} on, tapegrad's offloaded product "
                  f"(transfers included) beats tapegrad on the CPU; threshold "
                  f"{cross['min_flops']:.3g} FLOPs")
    elif "cuda" not in result["devices"]:
        print("  crossover: not measured (no GPU in this run)")


def plot(result, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:
        print(f"--plot: matplotlib is not installed (pip install matplotlib): {path} not "
              "written")
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    styles = {"cpu": "-", "cuda": "--", "cuda+copy": ":"}
    for label, cells in result["columns"].items():
        pts = sorted((int(n), c["gflops"]) for n, c in cells.items() if c.get("gflops"))
        if pts:
            group = label.split("/")[0]
            ax.plot(*zip(*pts), styles.get(group, "-"), marker="o", label=label)
    cross = result.get("crossover")
    if cross and cross.get("n"):
        ax.axvline(cross["n"], color="grey", lw=0.8)
        ax.text(cross["n"], 0.02, " crossover", color="grey", va="bottom",
                transform=ax.get_xaxis_transform())
    sizes = sorted({int(n) for cells in result["columns"].values() for n in cells})
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([str(n) for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("n (n x n @ n x n)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title(f"matmul throughput, {result['dtype']}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}")
    return path
