"""Fused elementwise GPU kernels against the unfused array expressions.

The CuPy backend has one ``cupy.ElementwiseKernel`` each for the activation gradients
(tanh, sigmoid, relu, gelu) and the optimizer updates (SGD with momentum, Adam); see
``autograd/backends/cupy_backend.py`` (FUSED_KERNELS). They are off by default
(``ag.backends.set_fused(True)`` turns them on) until this benchmark shows, on the GPU
at hand, that they pay. For each op and size it times the unfused expression (several
kernels and temporaries) and the fused kernel, checks they agree, and prints the
speed-up.

``--device cpu`` times the unfused NumPy forms (the CPU has no fused variant; the
column shows what the same update costs there). ``--device cuda`` without CuPy and a
GPU prints a "skipped" line. GPU times come from CUDA events after a synchronise.
"""

import traceback

import numpy as np

from ._common import fmt_num, machine_info, print_table, settle_gc

NAME = "fused"
HELP = "fused GPU kernels (activation gradients, SGD/Adam updates) vs unfused expressions"

OPS = ("tanh_backward", "sigmoid_backward", "relu_backward", "gelu_backward", "sgd_momentum",
       "adam")


def add_arguments(p):
    p.add_argument("--device", choices=("cpu", "cuda", "all"), default="all")
    p.add_argument("--sizes", default="1048576,16777216",
                   help="comma-separated element counts (default: %(default)s)")
    p.add_argument("--iters", type=int, default=20, help="calls per timed repeat")


def _task(backend, op, n, rng):
    """fn() running `op` once on arrays of n float32 elements on `backend`."""
    xp = backend.xp
    arr = lambda: backend.asarray(rng.standard_normal(n).astype(np.float32))  # noqa: E731
    if op.endswith("_backward"):
        a, g = arr(), arr()
        if op in ("tanh_backward", "sigmoid_backward"):
            a = xp.tanh(a) if op == "tanh_backward" else 1 / (1 + xp.exp(-a))
        f = getattr(xp, op)
        return lambda: f(a, g)
    p, g = arr(), arr()
    if op == "sgd_momentum":
        buf = backend.sgd_update(p, g, None, 0.01, momentum=0.9, weight_decay=1e-4)
        return lambda: backend.sgd_update(p, g, buf, 0.01, momentum=0.9, weight_decay=1e-4)
    m, v = xp.zeros_like(p), xp.zeros_like(p)
    state = {"step": 0}

    def adam():
        state["step"] += 1
        backend.adam_update(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 1e-4, state["step"])
    return adam


def _agreement(backend, ag, op):
    """max |fused - unfused| on one random input (the same input for both)."""
    results = []
    for fused in (False, True):
        previous = ag.backends.set_fused(fused)
        try:
            rng = np.random.default_rng(3)
            fn = _task(backend, op, 4099, rng)
            out = fn()
            if out is None:                 # an in-place update: read the parameters back
                rng = np.random.default_rng(3)
                p = backend.asarray(rng.standard_normal(4099).astype(np.float32))
                g = backend.asarray(rng.standard_normal(4099).astype(np.float32))
                if op == "sgd_momentum":
                    buf = backend.sgd_update(p, g, None, 0.01, momentum=0.9, weight_decay=1e-4)
                    for _ in range(3):
                        backend.sgd_update(p, g, buf, 0.01, momentum=0.9, weight_decay=1e-4)
                else:
                    m, v = backend.xp.zeros_like(p), backend.xp.zeros_like(p)
                    for t in range(1, 4):
                        backend.adam_update(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 1e-4, t)
                out = p
            results.append(backend.to_numpy(out))
        finally:
            ag.backends.set_fused(previous)
    return float(np.max(np.abs(results[0] - results[1])))


def run(args):
    import autograd as ag

    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    result = {"benchmark": "fused", "iters": args.iters, "repeat": args.repeat, "unit": "us"}
    if "cuda" in devices and not ag.cuda.is_available():
        result["skipped"] = "no CUDA device (CuPy and an NVIDIA GPU are needed): cuda skipped"
        print(result["skipped"])
        devices.remove("cuda")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows, errors = [], []
    for device in devices:
        backend = ag.backends.get(device)
        variants = (False, True) if backend.is_gpu else (False,)
        for op in OPS:
            for n in sizes:
                rng = np.random.default_rng(0)
                cell = {}
                for fused in variants:
                    key = "fused_us" if fused else "unfused_us"
                    previous = ag.backends.set_fused(fused)
                    try:
                        fn = _task(backend, op, n, rng)
                        backend.time_call(fn, 2)               # warm-up (kernel compilation)
                        best = None
                        for _ in range(args.repeat):
                            settle_gc()
                            t = backend.time_call(fn, args.iters)
                            best = t if best is None else min(best, t)
                        cell[key] = best * 1e6
                    except Exception as e:                     # e.g. a kernel that fails
                        traceback.print_exc()
                        cell[key + "_error"] = f"{type(e).__name__}: {e}"
                        errors.append(f"{op}/{n}/{key}")
                    finally:
                        ag.backends.set_fused(previous)
                cell["speedup"] = (cell["unfused_us"] / cell["fused_us"]
                                   if "fused_us" in cell and "unfused_us" in cell else None)
                if backend.is_gpu and cell["speedup"]:
                    cell["max_abs_diff"] = _agreement(backend, ag, op)
                result.setdefault(device, {}).setdefault(op, {})[str(n)] = cell
                rows.append([f"{op} [{device}]", f"{n:,}", fmt_num(cell.get("unfused_us")),
                             fmt_num(cell.get("fused_us")),
                             fmt_num(cell["speedup"]) + ("x" if cell["speedup"] else ""),
                             f"{cell['max_abs_diff']:.1e}" if "max_abs_diff" in cell else "-"])
    result["machine"] = machine_info()
    if rows:
        print(f"\nfused kernels: microseconds per call, best of {args.repeat} repeats x "
              f"{args.iters} calls; float32")
        print_table(["op", "elements", "unfused us", "fused us", "speed-up", "max |diff|"], rows)
    if "cuda" in devices:
        paying = sorted({op for op in OPS for c in result["cuda"][op].values()
                         if c["speedup"] and c["speedup"] > 1.1})
        print(f"  fused faster by > 10% for: {', '.join(paying) or 'none'}; enable with "
              "ag.backends.set_fused(True)")
    else:
        print("  GPU comparison not run: no CUDA device in this run")
    if errors:
        result["errors"] = errors
    return result
