"""Quickstart: a two-layer MLP written with raw autograd Tensors (no nn).

It fits an XOR-like 2-D dataset (the label is whether x0 and x1 have the same
sign, which no linear model can learn) with hand-written full-batch gradient
descent, prints the loss as it goes and the final accuracy on held-out
points, then takes a second derivative with ``ag.grad(..., create_graph=True)``.
Needs only ``autograd`` and NumPy, and finishes in seconds:

    python examples/quickstart.py
    python examples/quickstart.py --steps 2000 --hidden 32
"""

import argparse
import os
import sys
import time

import numpy as np

# run from a checkout without installing: the repository root holds autograd/
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import autograd as ag  # noqa: E402


def make_xor(n, rng):
    """n points uniform in [-1, 1]^2; class 1 where x0 * x1 > 0."""
    x = rng.uniform(-1.0, 1.0, size=(n, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return x, y


def init_params(hidden, rng, device):
    """Weights scaled by 1/sqrt(fan_in), biases zero; all leaves that need grad."""
    def leaf(a):
        return ag.tensor(a.astype(np.float32), requires_grad=True, device=device)

    return {
        "w1": leaf(rng.standard_normal((2, hidden)) / np.sqrt(2.0)),
        "b1": leaf(np.zeros(hidden)),
        "w2": leaf(rng.standard_normal((hidden, 2)) / np.sqrt(hidden)),
        "b2": leaf(np.zeros(2)),
    }


def forward(p, x):
    """logits = tanh(x @ W1 + b1) @ W2 + b2"""
    h = (x @ p["w1"] + p["b1"]).tanh()
    return h @ p["w2"] + p["b2"]


def cross_entropy(logits, onehot):
    """Mean negative log-likelihood, via the numerically stable log_softmax."""
    return -(onehot * logits.log_softmax(dim=1)).sum(dim=1).mean()


def accuracy(logits, y):
    pred = logits.argmax(dim=1).cpu().numpy()
    return float((pred == y).mean())


def second_derivative_demo(device):
    """d/dx and d2/dx2 of tanh(x) * x**2 at x = 0.5, checked against the formulas."""
    x = ag.tensor(0.5, requires_grad=True, device=device)
    y = x.tanh() * x ** 2
    (dy,) = ag.grad(y, x, create_graph=True)   # dy is itself on the tape
    (d2y,) = ag.grad(dy, x)                    # so it can be differentiated again
    t, xv = np.tanh(0.5), 0.5
    sech2 = 1.0 - t * t
    dy_ref = sech2 * xv ** 2 + 2 * xv * t
    d2y_ref = -2 * t * sech2 * xv ** 2 + 4 * xv * sech2 + 2 * t
    print("\nsecond derivative with ag.grad(create_graph=True):")
    print("  f(x) = tanh(x) * x**2 at x = 0.5")
    print(f"  f'(x)  = {dy.item():+.6f}   (formula {dy_ref:+.6f})")
    print(f"  f''(x) = {d2y.item():+.6f}   (formula {d2y_ref:+.6f})")
    return dy.item(), d2y.item(), dy_ref, d2y_ref


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=600, help="gradient steps (default: %(default)s)")
    ap.add_argument("--hidden", type=int, default=16, help="hidden units (default: %(default)s)")
    ap.add_argument("--lr", type=float, default=1.0, help="learning rate (default: %(default)s)")
    ap.add_argument("--n", type=int, default=512, help="training points (default: %(default)s)")
    ap.add_argument("--log-every", type=int, default=100, help="print every N steps (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    ap.add_argument("--device", default="cpu", help='"cpu" or "cuda" (default: %(default)s)')
    args = ap.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    x_np, y_np = make_xor(args.n, rng)
    xt_np, yt_np = make_xor(1024, rng)
    x = ag.tensor(x_np, device=args.device)
    onehot = ag.tensor(np.eye(2, dtype=np.float32)[y_np], device=args.device)
    x_test = ag.tensor(xt_np, device=args.device)
    params = init_params(args.hidden, rng, args.device)

    print(f"fitting a 2-{args.hidden}-2 MLP to {args.n} XOR points, "
          f"{args.steps} steps of gradient descent (lr={args.lr})")
    t0 = time.perf_counter()
    for step in range(1, args.steps + 1):
        logits = forward(params, x)
        loss = cross_entropy(logits, onehot)
        loss.backward()                       # fills .grad of every leaf
        with ag.no_grad():                    # the update itself is not recorded
            for p in params.values():
                p.sub_(p.grad * args.lr)
                p.grad = None                 # gradients accumulate otherwise
        if step % args.log_every == 0 or step == 1 or step == args.steps:
            print(f"  step {step:5d}  loss {loss.item():.4f}  "
                  f"train acc {accuracy(logits, y_np):.3f}")
    elapsed = time.perf_counter() - t0

    with ag.no_grad():
        test_acc = accuracy(forward(params, x_test), yt_np)
    print(f"done in {elapsed:.2f} s ({1e3 * elapsed / args.steps:.2f} ms/step); "
          f"test accuracy {test_acc:.3f}")

    second_derivative_demo(args.device)
    return test_acc


if __name__ == "__main__":
    main()
