"""Shared helpers for the benchmark suites: timing, machine info, tables, JSON."""

import gc
import json
import os
import platform
import statistics
import sys
import time
import traceback


def try_import_torch():
    """Return the torch module, or None when it is not installed (or broken)."""
    try:
        import torch  # noqa: F401
    except Exception:  # ImportError, or a broken install (OSError, ...)
        return None
    return torch


def settle_gc():
    """Collect, then move every live object to the GC's permanent generation.

    Without this, each full collection during a timed loop walks everything
    imported so far (torch alone adds a few hundred thousand objects), so the
    timings of graph-heavy work would depend on which libraries happen to be
    loaded. Garbage collection itself stays on, as in real use.
    """
    gc.collect()
    if hasattr(gc, "freeze"):
        gc.freeze()


def time_loop(fn, iters, repeat, warmup=1):
    """Time ``fn()`` called ``iters`` times in a row, ``repeat`` times.

    Returns seconds per call: ``{"median": ..., "min": ..., "samples": [...]}``
    where each sample is one repeat's mean. ``warmup`` whole repeats run first
    and are discarded.
    """
    samples = []
    for r in range(warmup + repeat):
        settle_gc()
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        dt = (time.perf_counter() - t0) / iters
        if r >= warmup:
            samples.append(dt)
    return summarize(samples)


def summarize(samples):
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "samples": list(samples),
    }


def machine_info():
    info = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
    }
    try:
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        pass
    try:
        import numpy

        info["numpy"] = numpy.__version__
    except Exception:
        pass
    torch = sys.modules.get("torch")      # only if the suite imported it: --no-torch
    if torch is not None:                 # runs (and the tests) never load PyTorch
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info


def fmt_num(v, digits=2):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.{digits}f}"


def print_table(headers, rows, file=None):
    """Print a plain-text table; cells are strings (use fmt_num)."""
    file = file or sys.stdout
    cols = list(zip(*([headers] + rows))) if rows else [[h] for h in headers]
    widths = [max(len(str(c)) for c in col) for col in cols]
    line = "  ".join(str(h).ljust(w) if i == 0 else str(h).rjust(w)
                     for i, (h, w) in enumerate(zip(headers, widths)))
    print(line, file=file)
    print("  ".join("-" * w for w in widths), file=file)
    for row in rows:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))), file=file)


def write_json(obj, path):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def guarded(fn, *a):
    """Set up one side of a comparison; an exception becomes {"error": ...} so
    the other columns still print (``run`` then exits non-zero)."""
    try:
        return fn(*a)
    except Exception as e:
        traceback.print_exc()
        return {"error": f"{type(e).__name__}: {e}"}


def interleaved(sides, repeat, measure, pause=0.0):
    """Time every side's tasks round-robin, ``1 + repeat`` rounds (the first is a
    warm-up), so a burst of load on the machine hits every column alike.

    ``sides``: {side: {"tasks": {key: fn}, ...}}; ``measure(fn)`` -> dict of
    seconds. Returns {side: {key: {name: [samples]}}}; a side that raises is
    marked with "error" and dropped from later rounds.

    ``pause`` seconds of sleep before each column: after a multi-threaded step the
    OpenMP threads of the library that ran it (PyTorch's) keep spinning a while and
    slow whichever column runs next; for tiny-op loops the pause itself distorts
    (cold caches, clock), so only `train` uses it.
    """
    samples = {s: {} for s in sides}
    for r in range(1 + repeat):
        for side, spec in sides.items():
            if "error" in spec:
                continue
            for key, fn in spec["tasks"].items():
                settle_gc()
                if pause:
                    time.sleep(pause)
                try:
                    m = measure(fn)
                except Exception as e:
                    traceback.print_exc()
                    spec["error"] = f"{type(e).__name__}: {e}"
                    break
                if r:
                    for name, v in m.items():
                        samples[side].setdefault(key, {}).setdefault(name, []).append(v)
    return samples


def loop_measure(iters):
    def measure(fn):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        return {"t": (time.perf_counter() - t0) / iters}
    return measure


def ratio(a, b):
    """a / b, or None when either is missing (a side that failed or did not run)."""
    if a is None or b is None or b == 0:
        return None
    return a / b
