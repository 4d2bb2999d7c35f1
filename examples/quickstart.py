"""Quickstart: the three things tapegrad is for, in about ten seconds on a laptop.

1. Train a model written imperatively: an ``nn.Module`` subclass whose
   ``forward`` is plain Python, fitted by an optimizer loop to an XOR-like 2-D
   dataset (the class is whether x0 and x1 have the same sign, which no linear
   model can learn); the loss is printed as it falls.
2. Draw its computation graph: ``ag.viz.save(loss, "....svg", model=model)``
   writes the recorded graph, grouped by module, as SVG with the pip-only
   renderer of the ``[viz]`` extra (no system Graphviz); without it, the DOT
   text is written instead and one line says how to get the SVG.
3. Time CPU against GPU: a few matrix products and one training step, one
   column per device; without a GPU, the CPU column and one line saying how to
   see the other.

Then a second derivative with ``ag.grad(..., create_graph=True)``.

    pip install -e ".[viz]" && python examples/quickstart.py
    python examples/quickstart.py --device cuda --out /tmp/quickstart
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402  (puts the repository root on sys.path)

import autograd as ag  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402
from nn import optim  # noqa: E402
from benchmarks._common import fmt_num, print_table  # noqa: E402


class MLP(nn.Module):
    """2 -> hidden -> 2: a tanh layer and a linear read-out."""

    def __init__(self, hidden):
        super().__init__()
        self.hidden = nn.Linear(2, hidden)
        self.out = nn.Linear(hidden, 2)

    def forward(self, x):
        return self.out(self.hidden(x).tanh())


def make_xor(n, rng):
    """n points uniform in [-1, 1]^2; class 1 where x0 * x1 > 0."""
    x = rng.uniform(-1.0, 1.0, size=(n, 2)).astype(np.float32)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


def train(args, device):
    """Fit the MLP with Adam, printing the loss; returns the model, a last loss (still
    holding its graph) and the losses printed."""
    rng = np.random.default_rng(args.seed)
    x_np, y_np = make_xor(args.n, rng)
    xt_np, yt_np = make_xor(1024, rng)
    x, y = ag.tensor(x_np, device=device), ag.tensor(y_np, device=device)
    model = MLP(args.hidden).to(device)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    print(f"1. training a 2-{args.hidden}-2 MLP (an nn.Module) on {args.n} XOR points with Adam")
    losses, t0 = [], time.perf_counter()
    for step in range(1, args.steps + 1):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 1 or step % args.log_every == 0 or step == args.steps:
            losses.append(loss.item())
            print(f"   step {step:4d}  loss {losses[-1]:.4f}")
    elapsed = time.perf_counter() - t0
    with ag.no_grad():
        pred = model(ag.tensor(xt_np, device=device)).argmax(dim=1).cpu().numpy()
    accuracy = float((pred == yt_np).mean())
    print(f"   {elapsed:.2f} s ({1e3 * elapsed / args.steps:.2f} ms/step); test accuracy {accuracy:.3f}")
    return model, F.cross_entropy(model(x), y), losses, accuracy


def draw(loss, model, out):
    """The loss's graph as SVG (or DOT without a renderer); returns the path written."""
    os.makedirs(out, exist_ok=True)
    base = os.path.join(out, "quickstart_graph")
    try:
        path = ag.viz.save(loss, base + ".svg", model=model)
    except ag.viz.RenderError:
        path = ag.viz.save(loss, base + ".dot", model=model)
        print(f"2. computation graph (DOT text) written to {path}\n"
              '   for SVG: pip install -e ".[viz]" (a WebAssembly Graphviz: no system install; Python 3.11+)\n'
              "   or install Graphviz's dot (apt-get install graphviz, brew install graphviz)")
        return path
    print(f"2. computation graph written to {path}")
    return path


def _matmul_task(ag, device, n):
    rng = np.random.default_rng(0)
    a, b = (ag.tensor(rng.standard_normal((n, n)).astype(np.float32), device=device)
            for _ in range(2))
    return lambda: a @ b


def _train_task(ag, device, batch, width):
    """One SGD step of a 784-width-width-10 MLP on a random batch."""
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                          nn.Linear(width, 10)).to(device)
    opt = optim.SGD(model.parameters(), lr=0.01)
    x = ag.randn(batch, 784, device=device)
    y = ag.randint(0, 10, (batch,), device=device)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def benchmark(sizes, batch, width, repeat):
    """Milliseconds per call on each available device: best of `repeat` timings of a few
    calls each (GPU timings wait for the device). Returns {row: {device: ms}}."""
    devices = ag.backends.available()
    tasks = {f"matmul {n}x{n} @ {n}x{n}": lambda d, n=n: _matmul_task(ag, d, n) for n in sizes}
    tasks[f"train step, MLP 784-{width}-{width}-10, batch {batch}"] = (
        lambda d: _train_task(ag, d, batch, width))
    print("3. CPU vs GPU, float32, ms per call (best of "
          f"{repeat}; `python -m benchmarks` has the full suites)")
    table = {}
    for name, make in tasks.items():
        for device in devices:
            backend = ag.backends.get(device)
            fn = make(device)
            backend.time_call(fn, 1)                       # warm-up (GPU: kernel compilation)
            table.setdefault(name, {})[device] = 1e3 * min(
                backend.time_call(fn, 3) for _ in range(repeat))
    headers = ["workload"] + [f"{d} ms" for d in devices]
    rows = [[name] + [fmt_num(times[d]) for d in devices] for name, times in table.items()]
    if "cuda" in devices:
        headers.append("GPU speed-up")
        for row, times in zip(rows, table.values()):
            row.append(fmt_num(times["cpu"] / times["cuda"]) + "x")
    print_table(headers, rows)
    if "cuda" not in devices:
        print('   no GPU here: on a machine with an NVIDIA GPU, pip install -e ".[gpu]" (CuPy) '
              "and rerun for the GPU column")
    return table


def second_derivative(device):
    """f = tanh(x) * x**2 at 0.5: f' and f'' by differentiating twice, against the formulas."""
    x = ag.tensor(0.5, requires_grad=True, device=device)
    (dy,) = ag.grad(x.tanh() * x ** 2, x, create_graph=True)   # dy is itself on the tape
    (d2y,) = ag.grad(dy, x)                                       # so it differentiates again
    t = np.tanh(0.5)
    s = 1 - t * t
    dy_ref, d2y_ref = s * 0.25 + t, -2 * t * s * 0.25 + 2 * s + 2 * t
    print(f"second derivative: f = tanh(x) * x**2 at x = 0.5: f' = {dy.item():+.6f} "
          f"(formula {dy_ref:+.6f}), f'' = {d2y.item():+.6f} (formula {d2y_ref:+.6f})")
    return (dy.item(), d2y.item()), (dy_ref, d2y_ref)


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--steps", type=int, default=None, help="training steps (default: 300)")
    p.add_argument("--hidden", type=int, default=16, help="hidden units (default: %(default)s)")
    p.add_argument("--lr", type=float, default=0.05, help="Adam's learning rate (default: %(default)s)")
    p.add_argument("--n", type=int, default=512, help="training points (default: %(default)s)")
    p.add_argument("--no-bench", action="store_true", help="skip the CPU-vs-GPU table")
    args = p.parse_args(argv)
    args.steps = args.steps or C.pick(args, 300, smoke=60)
    args.log_every = max(1, args.steps // 6)
    C.seed_everything(args.seed)
    device = C.select_device(args.device)

    model, loss, losses, accuracy = train(args, device)
    graph = draw(loss, model, args.out)
    table = None
    if not args.no_bench:
        table = benchmark(**C.pick(args, dict(sizes=(256, 512, 1024), batch=256, width=512, repeat=3),
                                   smoke=dict(sizes=(32, 64), batch=16, width=32, repeat=1)))
    second_derivative(device)
    return {"losses": losses, "accuracy": accuracy, "graph": graph, "benchmark": table}


if __name__ == "__main__":
    main()
