"""Fused optimizer kernels on the GPU against the optimizers' array code.

With ``ag.backends.set_fused(True)``, ``nn.optim.SGD`` (with momentum) and ``Adam``
run each parameter's step on a GPU as one ``cupy.ElementwiseKernel`` (see
``autograd/backends/cupy_backend.py``, FUSED_KERNELS) instead of their array code
(about ten kernels and as many temporaries). The switch is off by default until this
benchmark shows, on the GPU at hand, that it pays. For each optimizer and parameter
size it times ``opt.step()`` both ways, checks the two agree, and prints the speed-up.

``--device cpu`` times the array code alone (the CPU has no fused variant; the column
shows what the same step costs there). ``--device cuda`` without CuPy and a GPU
prints a "skipped" line. GPU times come from CUDA events after a synchronise.
"""

import traceback

import numpy as np

from ._common import fmt_num, machine_info, print_table, settle_gc

NAME = "fused"
HELP = "fused GPU optimizer steps (SGD momentum, Adam) vs the optimizers' array code"

OPTIMIZERS = {"sgd_momentum": ("SGD", dict(lr=0.01, momentum=0.9, weight_decay=1e-4)),
              "adam": ("Adam", dict(lr=1e-3, weight_decay=1e-4))}


def add_arguments(p):
    p.add_argument("--device", choices=("cpu", "cuda", "all"), default="all")
    p.add_argument("--sizes", default="1048576,16777216",
                   help="comma-separated element counts (default: %(default)s)")
    p.add_argument("--iters", type=int, default=20, help="steps per timed repeat")


def _optimizer(ag, device, name, n, seed=0):
    """(step function, parameter): one optimizer `name` over one float32 parameter of n
    elements on `device`, its gradient set once (the step never changes it)."""
    import nn
    from nn import optim
    rng = np.random.default_rng(seed)
    p = nn.Parameter(ag.tensor(rng.standard_normal(n).astype(np.float32), device=device))
    p.grad = ag.tensor(rng.standard_normal(n).astype(np.float32), device=device)
    cls, options = OPTIMIZERS[name]
    opt = getattr(optim, cls)([p], **options)
    opt.step()                                 # SGD's first step makes the momentum buffer
    return opt.step, p


def _agreement(ag, device, name):
    """max |fused - array code| after four steps from the same start."""
    results = []
    for fused in (False, True):
        previous = ag.backends.set_fused(fused)
        try:
            step, p = _optimizer(ag, device, name, 4099, seed=3)
            for _ in range(3):
                step()
            results.append(p.detach().cpu().numpy())
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
        for name in OPTIMIZERS:
            for n in sizes:
                cell = {}
                for fused in variants:
                    key = "fused_us" if fused else "unfused_us"
                    previous = ag.backends.set_fused(fused)
                    try:
                        step, _ = _optimizer(ag, device, name, n)
                        backend.time_call(step, 2)             # warm-up (kernel compilation)
                        best = None
                        for _ in range(args.repeat):
                            settle_gc()
                            t = backend.time_call(step, args.iters)
                            best = t if best is None else min(best, t)
                        cell[key] = best * 1e6
                    except Exception as e:                     # e.g. a kernel that fails
                        traceback.print_exc()
                        cell[key + "_error"] = f"{type(e).__name__}: {e}"
                        errors.append(f"{name}/{n}/{key}")
                    finally:
                        ag.backends.set_fused(previous)
                cell["speedup"] = (cell["unfused_us"] / cell["fused_us"]
                                   if "fused_us" in cell and "unfused_us" in cell else None)
                if backend.is_gpu and cell["speedup"]:
                    cell["max_abs_diff"] = _agreement(ag, device, name)
                result.setdefault(device, {}).setdefault(name, {})[str(n)] = cell
                rows.append([f"{name} [{device}]", f"{n:,}", fmt_num(cell.get("unfused_us")),
                             fmt_num(cell.get("fused_us")),
                             fmt_num(cell["speedup"]) + ("x" if cell["speedup"] else ""),
                             f"{cell['max_abs_diff']:.1e}" if "max_abs_diff" in cell else "-"])
    result["machine"] = machine_info()
    if rows:
        print(f"\nfused optimizer steps: microseconds per step, best of {args.repeat} repeats "
              f"x {args.iters} steps; one float32 parameter")
        print_table(["optimizer", "elements", "array code us", "fused us", "speed-up",
                     "max |diff|"], rows)
    if "cuda" in devices:
        paying = sorted({name for name in OPTIMIZERS for c in result["cuda"][name].values()
                         if c["speedup"] and c["speedup"] > 1.1})
        print(f"  fused faster by > 10% for: {', '.join(paying) or 'none'}; enable with "
              "ag.backends.set_fused(True)")
    else:
        print("  GPU comparison not run: no CUDA device in this run")
    if errors:
        result["errors"] = errors
    return result
