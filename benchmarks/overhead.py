"""Per-op overhead of the engine on tiny tensors, against NumPy alone and PyTorch.

chain   100 elementwise ops on a (16, 16) float32 tensor that requires grad,
        cycling ``x + c1``, ``x * c2``, ``x.tanh()``; then ``x.sum().backward()``.
        Reported in microseconds per op: forward+backward, forward with the
        tape recording, and forward under no_grad. The NumPy column runs the
        same forward and a hand-written reverse pass (the floor for any engine
        on NumPy); the PyTorch column runs the same code on torch tensors.

fanin   a leaf x of shape (16,) feeds n branches ``y_i = x * c_i`` summed with
        a Python loop (``total = total + y_i``), then ``total.sum().backward()``.
        Forward and backward are timed separately for each n; a backward that
        scales linearly gives t(10000) / t(1000) close to 10.

The columns are timed round-robin, repeat by repeat, so load on the machine
hits them alike; the table shows the best repeat (the JSON has the medians
too). Garbage collection stays on, but everything alive before a timed loop
is frozen out of it (gc.freeze), so importing torch does not slow our column.
Tensors are this small on purpose: the arithmetic is nearly free, so the times
are the Python bookkeeping per op (recording the tape, replaying it).
"""

import time

import numpy as np

from ._common import (fmt_num, guarded, interleaved, loop_measure, machine_info,
                      print_table, ratio, summarize, try_import_torch)

NAME = "overhead"
HELP = "per-op overhead on tiny tensors (chain of elementwise ops, fan-in backward)"

SHAPE = (16, 16)


def add_arguments(p):
    p.add_argument("--ops", type=int, default=100,
                   help="length of the elementwise chain (default: %(default)s)")
    p.add_argument("--iters", type=int, default=200,
                   help="chain iterations per timed repeat (default: %(default)s)")
    p.add_argument("--fanin", default="1000,10000",
                   help="comma-separated branch counts for fan-in (default: %(default)s)")
    p.add_argument("--no-torch", action="store_true",
                   help="skip the PyTorch comparison even if torch is installed")
    p.add_argument("--seed", type=int, default=0)


# --------------------------------------------------------------------------
# chain workload


def _chain_inputs(seed):
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal(SHAPE).astype(np.float32)
    c1 = (0.1 * rng.standard_normal(SHAPE)).astype(np.float32)
    c2 = rng.uniform(0.5, 1.5, SHAPE).astype(np.float32)
    return x0, c1, c2


def _chain_forward(x, c1, c2, n_ops):
    """The same Python code runs on our Tensors and on torch tensors."""
    for i in range(n_ops):
        k = i % 3
        if k == 0:
            x = x + c1
        elif k == 1:
            x = x * c2
        else:
            x = x.tanh()
    return x


def numpy_chain_step(x0, c1, c2, n_ops):
    """Forward and reverse pass by hand in NumPy; returns d(sum)/dx0."""
    saved = []
    x = x0
    for i in range(n_ops):
        k = i % 3
        if k == 0:
            x = x + c1
        elif k == 1:
            x = x * c2
        else:
            x = np.tanh(x)
            saved.append(x)
    x.sum()
    g = np.ones_like(x)
    for i in reversed(range(n_ops)):
        k = i % 3
        if k == 1:
            g = g * c2
        elif k == 2:
            y = saved.pop()
            g = g * (1 - y * y)
        # k == 0: d(x + c1)/dx = 1
    return g


def numpy_chain_forward(x0, c1, c2, n_ops):
    x = x0
    for i in range(n_ops):
        k = i % 3
        if k == 0:
            x = x + c1
        elif k == 1:
            x = x * c2
        else:
            x = np.tanh(x)
    return x


def _chain_ours(x0, c1, c2, n_ops):
    import autograd as ag

    x = ag.tensor(x0.copy(), requires_grad=True)
    t1, t2 = ag.tensor(c1), ag.tensor(c2)

    def fwd_bwd():
        x.grad = None
        _chain_forward(x, t1, t2, n_ops).sum().backward()

    def fwd_no_grad():
        with ag.no_grad():
            _chain_forward(x, t1, t2, n_ops)

    fwd_bwd()
    return {"tasks": {"fwd_bwd": fwd_bwd,
                      "fwd": lambda: _chain_forward(x, t1, t2, n_ops),
                      "fwd_no_grad": fwd_no_grad},
            "grad": x.grad.detach().numpy()}


def _chain_torch(torch, x0, c1, c2, n_ops):
    x = torch.from_numpy(x0.copy()).requires_grad_(True)
    t1, t2 = torch.from_numpy(c1), torch.from_numpy(c2)

    def fwd_bwd():
        x.grad = None
        _chain_forward(x, t1, t2, n_ops).sum().backward()

    def fwd_no_grad():
        with torch.no_grad():
            _chain_forward(x, t1, t2, n_ops)

    fwd_bwd()
    return {"tasks": {"fwd_bwd": fwd_bwd,
                      "fwd": lambda: _chain_forward(x, t1, t2, n_ops),
                      "fwd_no_grad": fwd_no_grad},
            "grad": x.grad.numpy(), "threads": torch.get_num_threads()}


def bench_chain(args, torch):
    n_ops, iters, repeat = args.ops, args.iters, args.repeat
    x0, c1, c2 = _chain_inputs(args.seed)
    ref_grad = numpy_chain_step(x0, c1, c2, n_ops)
    sides = {
        "ours": guarded(_chain_ours, x0, c1, c2, n_ops),
        "numpy": {"tasks": {"fwd_bwd": lambda: numpy_chain_step(x0, c1, c2, n_ops),
                            "fwd": lambda: numpy_chain_forward(x0, c1, c2, n_ops)}},
    }
    if torch is not None:
        sides["torch"] = guarded(_chain_torch, torch, x0, c1, c2, n_ops)
    samples = interleaved(sides, repeat, loop_measure(iters))

    out = {"shape": list(SHAPE), "dtype": "float32", "ops": n_ops, "iters": iters,
           "repeat": repeat, "unit": "us/op",
           "stat": "min over repeats (median in *_median)"}
    to_us = 1e6 / n_ops  # seconds per iteration -> microseconds per op
    for side, spec in sides.items():
        res = {}
        if "grad" in spec:
            res["max_abs_grad_diff_vs_numpy"] = float(np.max(np.abs(spec["grad"] - ref_grad)))
        if "threads" in spec:
            res["threads"] = spec["threads"]
        for key, m in samples[side].items():
            st = summarize(m["t"])
            res[key] = st["min"] * to_us
            res[key + "_median"] = st["median"] * to_us
        if "error" in spec:
            res["error"] = spec["error"]
        out[side] = res
    out["numpy"]["fwd_no_grad"] = out["numpy"].get("fwd")  # NumPy records nothing
    return out


# --------------------------------------------------------------------------
# fan-in workload


def _fanin_side(make_leaf, make_const, x0, cs):
    x = make_leaf(x0)
    consts = [make_const(c) for c in cs]

    def once():
        x.grad = None
        t0 = time.perf_counter()
        total = x * consts[0]
        for c in consts[1:]:
            total = total + x * c
        root = total.sum()
        t1 = time.perf_counter()
        root.backward()
        t2 = time.perf_counter()
        return {"fwd": t1 - t0, "bwd": t2 - t1}

    def grad():
        g = x.grad
        return g.detach().numpy() if hasattr(g, "detach") else np.asarray(g)

    return {"tasks": {"graph": once}, "grad_fn": grad}


def bench_fanin(args, torch):
    ns = sorted(int(s) for s in args.fanin.split(",") if s.strip())
    out = {"ns": ns, "repeat": args.repeat, "leaf_shape": [16], "unit": "ms",
           "stat": "min over repeats (median in *_median)"}
    rng = np.random.default_rng(args.seed)
    x0 = rng.standard_normal(16).astype(np.float32)

    def ours(cs):
        import autograd as ag

        return _fanin_side(lambda a: ag.tensor(a.copy(), requires_grad=True),
                           lambda a: ag.tensor(a), x0, cs)

    def tch(cs):
        return _fanin_side(lambda a: torch.from_numpy(a.copy()).requires_grad_(True),
                           lambda a: torch.from_numpy(a), x0, cs)

    makers = {"ours": ours}
    if torch is not None:
        makers["torch"] = tch
    results = {side: {} for side in makers}
    for n in ns:
        cs = rng.uniform(-1, 1, (n, 16)).astype(np.float32)
        expected = cs.sum(axis=0)
        sides = {side: guarded(make, cs) for side, make in makers.items()}
        samples = interleaved(sides, args.repeat, lambda fn: fn())
        for side, spec in sides.items():
            if "error" in spec:
                results[side]["error"] = spec["error"]
                continue
            m = samples[side]["graph"]
            f, b = summarize(m["fwd"]), summarize(m["bwd"])
            results[side][str(n)] = {
                "fwd_ms": f["min"] * 1e3, "fwd_ms_median": f["median"] * 1e3,
                "bwd_ms": b["min"] * 1e3, "bwd_ms_median": b["median"] * 1e3,
                "bwd_us_per_branch": b["min"] * 1e6 / n,
                "max_abs_grad_diff": float(np.max(np.abs(spec["grad_fn"]() - expected))),
            }
        del sides
    for side, res in results.items():
        lo, hi = str(ns[0]), str(ns[-1])
        if len(ns) >= 2 and lo in res and hi in res:
            res["bwd_ratio"] = res[hi]["bwd_ms"] / res[lo]["bwd_ms"]
            res["fwd_ratio"] = res[hi]["fwd_ms"] / res[lo]["fwd_ms"]
            res["ideal_ratio"] = ns[-1] / ns[0]
        out[side] = res
    return out


# --------------------------------------------------------------------------


def report(result):
    ch = result["chain"]
    ours, npy, tch = ch.get("ours", {}), ch["numpy"], ch.get("torch")
    print(f"\nchain: {ch['ops']} elementwise ops (add, mul, tanh) on a "
          f"{tuple(ch['shape'])} float32 tensor; best of {ch['repeat']} repeats "
          f"x {ch['iters']} iterations; microseconds per op")
    for name, side in (("ours", ours), ("torch", tch)):
        if side and "error" in side:
            print(f"  {name} failed: {side['error']}")
    headers = ["measure", "ours", "numpy", "torch", "ours/numpy", "ours/torch"]
    rows = []
    for key, label in [("fwd_bwd", "forward+backward"), ("fwd", "forward (recording)"),
                       ("fwd_no_grad", "forward (no_grad)")]:
        o = ours.get(key)
        n = npy.get(key)
        t = tch.get(key) if tch else None
        rows.append([label, fmt_num(o), fmt_num(n), fmt_num(t),
                     fmt_num(ratio(o, n)) + ("x" if o and n else ""),
                     fmt_num(ratio(o, t)) + ("x" if o and t else "")])
    print_table(headers, rows)
    if "max_abs_grad_diff_vs_numpy" in ours:
        print(f"  gradient check vs NumPy: max |diff| = "
              f"{ours['max_abs_grad_diff_vs_numpy']:.2e}")
    if tch is None:
        print("  (no PyTorch column: torch is not installed, or --no-torch)")

    fi = result["fanin"]
    print(f"\nfan-in: leaf (16,) -> n branches x*c_i summed by a Python loop; "
          f"best of {fi['repeat']} repeats; milliseconds")
    headers = ["n", "ours fwd", "ours bwd", "torch fwd", "torch bwd", "bwd ours/torch"]
    rows = []
    o, t = fi.get("ours", {}), fi.get("torch")
    for name, side in (("ours", o), ("torch", t)):
        if side and "error" in side:
            print(f"  {name} failed: {side['error']}")
    for n in fi["ns"]:
        on, tn = o.get(str(n), {}), (t or {}).get(str(n), {})
        rows.append([str(n), fmt_num(on.get("fwd_ms")), fmt_num(on.get("bwd_ms")),
                     fmt_num(tn.get("fwd_ms")), fmt_num(tn.get("bwd_ms")),
                     fmt_num(ratio(on.get("bwd_ms"), tn.get("bwd_ms")))])
    print_table(headers, rows)
    for name, r in (("ours", o), ("torch", t)):
        if r and "bwd_ratio" in r:
            print(f"  {name}: backward t({fi['ns'][-1]})/t({fi['ns'][0]}) = "
                  f"{r['bwd_ratio']:.1f} (linear: {r['ideal_ratio']:.0f}); "
                  f"forward ratio {r['fwd_ratio']:.1f}")


def run(args):
    torch = None if args.no_torch else try_import_torch()
    result = {"benchmark": "overhead"}
    result["chain"] = bench_chain(args, torch)
    result["fanin"] = bench_fanin(args, torch)
    result["machine"] = machine_info()
    report(result)
    errors = [f"{w}/{side}" for w in ("chain", "fanin")
              for side, r in result[w].items() if isinstance(r, dict) and "error" in r]
    if errors:
        result["errors"] = errors
    return result
