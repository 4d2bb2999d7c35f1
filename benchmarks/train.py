"""Whole training steps on small models, against hand-written NumPy and PyTorch.

mlp     784-1024-1024-10 MLP (ReLU), F.cross_entropy, optim.SGD(lr=0.01),
        batch 256 of float32 random data. One step: zero_grad, forward, loss,
        backward, optimizer step. The NumPy column is the same step by hand
        (forward, softmax-cross-entropy backward, in-place SGD update): the floor
        for any engine on NumPy.
lenet   Conv2d(1,8,5), ReLU, MaxPool2d(2), Conv2d(8,16,5), ReLU, MaxPool2d(2),
        flatten, Linear 256->120->84->10; batch 64 of 1x28x28; same step as mlp.
lstm    nn.LSTM(64, 128), sequence 35, batch 32; forward + backward of
        ``output.sum()``, no optimizer.
mlp_big 784-4096-4096-10 MLP, batch 4096, as mlp (the issue's GPU bar; not in the
        default list, which stays mlp,lenet,lstm on the CPU; ``--device cuda`` adds it).

``--device cpu|cuda|all`` (default cpu): on cuda the model and data live on the
GPU (PyTorch's too), the hand-written column runs the same step in CuPy, timings
synchronise the device before the clock starts and stops, and the memory columns
are skipped (they measure host memory). Without CuPy and a GPU, cuda prints a
"skipped" line.

Time is milliseconds per step: ``--steps`` steps per repeat, one warm-up repeat,
then ``--repeat`` timed repeats, columns interleaved round-robin so load on the
machine hits them alike; best and median are reported. Peak memory is the
tracemalloc peak over one separate (untimed) step, in MB: it sees every
allocation made through Python's allocator, NumPy arrays included, but not
PyTorch's own C++ allocations, so the torch figure is only its Python-side
overhead.
"""

import gc
import os
import subprocess
import sys
import time
import tracemalloc
import traceback

import numpy as np

from ._common import (fmt_num, guarded, interleaved, loop_measure, machine_info,
                      print_table, ratio, settle_gc, summarize, try_import_torch)

NAME = "train"
HELP = "training-step time and peak Python-heap memory (MLP, LeNet, LSTM)"

WORKLOADS = ("mlp", "lenet", "lstm")
GPU_WORKLOADS = WORKLOADS + ("mlp_big",)
LABELS = {"mlp": "MLP 784-1024-1024-10 b256",
          "mlp_big": "MLP 784-4096-4096-10 b4096",
          "lenet": "LeNet 1x28x28 b64",
          "lstm": "LSTM 64->128 seq35 b32"}


def add_arguments(p):
    p.add_argument("--steps", type=int, default=5,
                   help="training steps per timed repeat (default: %(default)s)")
    p.add_argument("--workloads", default=None,
                   help="comma-separated subset of %s (default: %s; with cuda also "
                        "mlp_big)" % (",".join(GPU_WORKLOADS), ",".join(WORKLOADS)))
    p.add_argument("--device", choices=("cpu", "cuda", "all"), default="cpu",
                   help="where the models train (default: %(default)s)")
    p.add_argument("--no-torch", action="store_true",
                   help="skip the PyTorch comparison even if torch is installed")
    p.add_argument("--seed", type=int, default=0)


# --------------------------------------------------------------------------
# data


def _data(name, seed):
    rng = np.random.default_rng(seed)
    if name == "mlp_big":
        x = rng.standard_normal((4096, 784)).astype(np.float32)
        y = rng.integers(0, 10, 4096).astype(np.int64)
        return x, y
    if name == "mlp":
        x = rng.standard_normal((256, 784)).astype(np.float32)
        y = rng.integers(0, 10, 256).astype(np.int64)
        return x, y
    if name == "lenet":
        x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, 64).astype(np.int64)
        return x, y
    if name == "lstm":
        return (rng.standard_normal((35, 32, 64)).astype(np.float32),)
    raise ValueError(name)


# --------------------------------------------------------------------------
# models: the same code builds ours (nn) and torch's (torch.nn)


def _build(name, nn_mod):
    if name == "mlp_big":
        return nn_mod.Sequential(nn_mod.Linear(784, 4096), nn_mod.ReLU(),
                                 nn_mod.Linear(4096, 4096), nn_mod.ReLU(),
                                 nn_mod.Linear(4096, 10))
    if name == "mlp":
        return nn_mod.Sequential(nn_mod.Linear(784, 1024), nn_mod.ReLU(),
                                 nn_mod.Linear(1024, 1024), nn_mod.ReLU(),
                                 nn_mod.Linear(1024, 10))
    if name == "lenet":
        return nn_mod.Sequential(nn_mod.Conv2d(1, 8, 5), nn_mod.ReLU(), nn_mod.MaxPool2d(2),
                                 nn_mod.Conv2d(8, 16, 5), nn_mod.ReLU(), nn_mod.MaxPool2d(2),
                                 nn_mod.Flatten(),
                                 nn_mod.Linear(256, 120), nn_mod.ReLU(),
                                 nn_mod.Linear(120, 84), nn_mod.ReLU(),
                                 nn_mod.Linear(84, 10))
    if name == "lstm":
        return nn_mod.LSTM(64, 128)
    raise ValueError(name)


def _make_step(name, model, F, optim, x, y=None):
    if name == "lstm":
        def step():
            model.zero_grad()
            out, _ = model(x)
            out.sum().backward()
        return step

    opt = optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def _ours(name, data, device="cpu"):
    import autograd as ag
    import nn
    import nn.functional as F
    from nn import optim

    model = _build(name, nn)
    if device == "cpu":
        args = [ag.from_numpy(a) for a in data]      # shares memory, as torch.from_numpy
    else:
        model.to(device)
        args = [ag.tensor(a, device=device) for a in data]
    return {"step": _make_step(name, model, F, optim, *args)}


def _torch(torch, name, data, device="cpu"):
    import torch.nn.functional as F
    from torch import optim

    model = _build(name, torch.nn).to(device)
    args = [torch.from_numpy(a).to(device) for a in data]
    return {"step": _make_step(name, model, F, optim, *args),
            "threads": torch.get_num_threads()}


def _torch_without_onednn(torch, name, data):
    """PyTorch with oneDNN (MKL-DNN) off: its generic ATen kernels, for context. On
    the CPU, oneDNN runs LeNet's convolutions and the whole LSTM layer as fused,
    JIT-compiled primitives; without it, PyTorch composes the same ops an engine on
    NumPy does."""
    spec = _torch(torch, name, data)
    step = spec["step"]

    def generic_step():
        with torch.backends.mkldnn.flags(enabled=False):
            step()
    spec["step"] = generic_step
    return spec


def _numpy_mlp(data, seed, xp=np, hidden=1024):
    """Hand-written MLP step: forward, softmax-CE backward, in-place SGD (xp: NumPy,
    or CuPy for the same step on the GPU)."""
    x, y = (xp.asarray(a) for a in data)
    rng = np.random.default_rng(seed + 1)
    sizes = [784, hidden, hidden, 10]
    Ws, bs = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        Ws.append(xp.asarray(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32)))
        bs.append(xp.asarray(rng.uniform(-bound, bound, fan_out).astype(np.float32)))
    n = x.shape[0]
    rows = xp.arange(n)
    lr = np.float32(0.01)

    def step():
        W1, W2, W3 = Ws
        b1, b2, b3 = bs
        z1 = x @ W1 + b1
        h1 = xp.maximum(z1, 0)
        z2 = h1 @ W2 + b2
        h2 = xp.maximum(z2, 0)
        logits = h2 @ W3 + b3
        m = logits.max(axis=1, keepdims=True)
        e = xp.exp(logits - m)
        s = e.sum(axis=1, keepdims=True)
        p = e / s
        loss = xp.mean(xp.log(s[:, 0]) + m[:, 0] - logits[rows, y])   # no host sync
        g = p
        g[rows, y] -= 1
        g /= n
        gW3 = h2.T @ g
        gb3 = g.sum(0)
        g = g @ W3.T
        g *= (z2 > 0)
        gW2 = h1.T @ g
        gb2 = g.sum(0)
        g = g @ W2.T
        g *= (z1 > 0)
        gW1 = x.T @ g
        gb1 = g.sum(0)
        for P, G in ((W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2), (W3, gW3), (b3, gb3)):
            P -= lr * G
        return loss

    return {"step": step}


# --------------------------------------------------------------------------


def _peak_mb(step):
    """tracemalloc peak over one step, MB (above what was allocated before it)."""
    settle_gc()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak() if hasattr(tracemalloc, "reset_peak") else None
        base = tracemalloc.get_traced_memory()[0]
        step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - base) / 2 ** 20


def _status_mb(field):
    """A memory field of /proc/self/status (VmRSS, VmHWM), MB; None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024          # kB
    except OSError:
        return None
    return None


def memory_probe(side, name, seed, warmup=2):
    """Run in a fresh process: the peak memory of training, MB: parameters, data,
    gradients and everything a step holds at its peak, above the process's baseline.

    A throwaway model first runs `warmup` steps, so one-time library setup (thread
    pools, kernel code) lands in the baseline; then a fresh model and data are built
    and, after the kernel's peak-RSS mark is reset (clear_refs), run for two steps (the
    second with the previous step's gradients alive, as in training). Run with
    MALLOC_MMAP_THRESHOLD_ set (see _step_memory) so freed buffers leave the
    resident set. Measured the same way for every side: C++ allocations count too."""
    def build():
        data = _data(name, seed)
        if side == "ours":
            return _ours(name, data)
        import torch
        return _torch(torch, name, data)

    spec = build()
    for _ in range(warmup):
        spec["step"]()
    del spec
    gc.collect()
    base = _status_mb("VmRSS")
    spec = build()              # (its own temporaries, e.g. initialisers', are not counted)
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")                                    # reset VmHWM to the current RSS
    except OSError:
        return None
    spec["step"]()
    spec["step"]()
    peak = _status_mb("VmHWM")
    return None if base is None or peak is None else peak - base


def _step_memory(side, name, seed):
    """memory_probe in a subprocess (a fresh heap, so runs don't see each other)."""
    code = ("import sys; from benchmarks.train import memory_probe; "
            f"v = memory_probe({side!r}, {name!r}, {seed}); print('MB', v)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # buffers of 64 KiB and up are mapped and unmapped by glibc on each allocation, so
    # the resident set follows live memory instead of the allocator's caches
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=root, timeout=300, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.stdout.splitlines():
        if line.startswith("MB ") and line[3:] != "None":
            return float(line[3:])
    return None


def _gpu_measure(iters, torch):
    """loop_measure for GPU steps: the device is idle when the clock starts and has
    finished every queued kernel when it stops."""
    import autograd as ag

    def sync():
        ag.cuda.synchronize()
        if torch is not None and torch.cuda.is_available():
            torch.cuda.synchronize()

    def measure(fn):
        sync()
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        sync()
        return {"t": (time.perf_counter() - t0) / iters}
    return measure


def bench_workload(name, args, torch, device="cpu"):
    data = _data(name, args.seed)
    sides = {"ours": guarded(_ours, name, data, device)}
    if name in ("mlp", "mlp_big"):
        hidden = 4096 if name == "mlp_big" else 1024
        if device == "cpu":
            sides["numpy"] = guarded(_numpy_mlp, data, args.seed, np, hidden)
        else:
            import cupy
            sides["numpy"] = guarded(_numpy_mlp, data, args.seed, cupy, hidden)
    if torch is not None and (device == "cpu" or torch.cuda.is_available()):
        sides["torch"] = guarded(_torch, torch, name, data, "cuda" if device != "cpu" else "cpu")
        if device == "cpu" and name in ("lenet", "lstm"):
            sides["torch_no_onednn"] = guarded(_torch_without_onednn, torch, name, data)

    for spec in sides.values():
        if "step" in spec:
            spec["tasks"] = {"step": spec["step"]}
    measure = loop_measure(args.steps) if device == "cpu" else _gpu_measure(args.steps, torch)
    timed = interleaved(sides, args.repeat, measure, pause=0.25)
    samples = {s: timed[s].get("step", {}).get("t", []) for s in sides}

    out = {"label": LABELS[name] + ("" if device == "cpu" else f" [{device}]"),
           "device": device, "steps": args.steps, "repeat": args.repeat, "unit": "ms/step"}
    for side, spec in sides.items():
        res = {}
        if "threads" in spec:
            res["threads"] = spec["threads"]
        if samples[side]:
            st = summarize(samples[side])
            res["ms"] = st["min"] * 1e3
            res["ms_median"] = st["median"] * 1e3
            res["samples_ms"] = [s * 1e3 for s in st["samples"]]
        if "error" not in spec and device == "cpu" and side != "torch_no_onednn":
            try:
                res["peak_mb"] = _peak_mb(spec["step"])
                if side in ("ours", "torch"):
                    res["step_rss_mb"] = _step_memory(side, name, args.seed)
            except Exception as e:
                traceback.print_exc()
                spec["error"] = f"{type(e).__name__}: {e}"
        if "error" in spec:
            res["error"] = spec["error"]
        out[side] = res
    return out


def _x(v):
    return fmt_num(v) + ("x" if v is not None else "")


def report(result):
    steps = result["steps"]
    print(f"\ntraining step: best (median) of {result['repeat']} repeats x {steps} steps "
          f"after 1 warm-up repeat; ms per step")
    headers = ["workload", "ours ms", "numpy/cupy ms", "torch ms", "ours/numpy", "ours/torch",
               "ours MB", "torch MB", "MB ours/torch"]
    rows = []
    for name in result["workloads"]:
        w = result[name]
        o, n, t = w.get("ours", {}), w.get("numpy", {}), w.get("torch", {})

        def cell(d):
            if "ms" not in d:
                return "-"
            return f"{fmt_num(d['ms'])} ({fmt_num(d['ms_median'])})"

        rows.append([w["label"], cell(o), cell(n), cell(t),
                     _x(ratio(o.get("ms"), n.get("ms"))),
                     _x(ratio(o.get("ms"), t.get("ms"))),
                     fmt_num(o.get("step_rss_mb")), fmt_num(t.get("step_rss_mb")),
                     _x(ratio(o.get("step_rss_mb"), t.get("step_rss_mb")))])
    print_table(headers, rows)
    for name in result["workloads"]:
        for side, r in result[name].items():
            if isinstance(r, dict) and "error" in r:
                print(f"  {name}/{side} failed: {r['error']}")
    for name in result["workloads"]:
        w = result[name]
        generic = w.get("torch_no_onednn", {})
        if "ms" in generic:
            print(f"  {w['label']}: PyTorch without oneDNN (torch.backends.mkldnn off) "
                  f"{fmt_num(generic['ms'])} ms; ours/that "
                  f"{_x(ratio(w.get('ours', {}).get('ms'), generic['ms']))}")
    if result.get("torch_threads") is not None:
        print(f"  torch: {result['torch_threads']} threads (default).")
    else:
        print("  (no PyTorch column: torch is not installed, or --no-torch)")
    print("  numpy: hand-written MLP step (forward, softmax-CE backward, in-place SGD); "
          "MLP only.")
    print("  MB: peak resident memory of training (parameters, data, gradients, the step's "
          "peak) above a warmed-up baseline, in a fresh process per side with glibc's mmap "
          "threshold at 64 KiB (counts C/C++ allocations); JSON: also tracemalloc (peak_mb).")


def run(args):
    torch = None if args.no_torch else try_import_torch()
    import autograd as ag

    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not ag.cuda.is_available():
        print("no CUDA device (CuPy and an NVIDIA GPU are needed): cuda skipped")
        devices.remove("cuda")
    default = GPU_WORKLOADS if "cuda" in devices else WORKLOADS
    names = [s.strip() for s in (args.workloads or ",".join(default)).split(",") if s.strip()]
    for s in names:
        if s not in GPU_WORKLOADS:
            raise SystemExit(f"unknown workload {s!r}; choose from {', '.join(GPU_WORKLOADS)}")
    runs = [(d, n) for d in devices for n in names
            if d != "cpu" or n != "mlp_big" or args.workloads]   # mlp_big on the CPU if asked
    keys = [n if d == "cpu" else f"{n}@{d}" for d, n in runs]
    result = {"benchmark": "train", "workloads": keys, "devices": devices, "steps": args.steps,
              "repeat": args.repeat,
              "torch_threads": torch.get_num_threads() if torch is not None else None}
    if torch is not None:
        torch.manual_seed(args.seed)
    for (device, name), key in zip(runs, keys):
        result[key] = bench_workload(name, args, torch, device)
    result["machine"] = machine_info()
    report(result)
    errors = [f"{w}/{side}" for w in keys
              for side, r in result[w].items() if isinstance(r, dict) and "error" in r]
    if errors:
        result["errors"] = errors
    return result
