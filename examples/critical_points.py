"""Critical points: tell a saddle from a minimum with the Hessian, and escape the saddle.

The lesson (Lee Hung-yi's ML 2021 lecture "When gradient is small: local
minimum and saddle point"; D2L chapter 12.1 "Optimization and Deep
Learning"; Dauphin et al. 2014 on saddles in high dimensions): a gradient near
zero does not mean a minimum. At a critical point theta* the loss is, to
second order,

    L(theta* + d) ~ L(theta*) + 1/2 d^T H d,

so the eigenvalues of the Hessian H decide: all positive -> a local minimum;
some negative -> a saddle, and moving along an eigenvector u with eigenvalue
lambda < 0 lowers the loss by about |lambda| a^2 / 2 for a step of length a.

The example

1. warms up on L(w1, w2) = (1 - w1 w2)^2, whose origin is a saddle with
   eigenvalues -2 and +2;
2. builds a crafted saddle: a student tanh net with two hidden units learns
   a teacher with two hidden units, y = tanh(2 x1) + tanh(2 x2), by least
   squares; both student units start identical, and gradient descent (then
   Newton's method, which is attracted to any critical point) keeps them
   identical, so the student converges to a point with gradient ~1e-16 that
   does only as well as one hidden unit can; the exact Hessian
   (``ag.functional.hessian``) has a negative eigenvalue there;
3. escapes along the most negative eigenvector: the loss falls as predicted,
   gradient descent carries on to a much lower loss, and the Hessian there has
   no negative eigenvalue left (a minimum: the student has found the teacher);
4. for a larger net (on XOR), where forming H costs one backward pass per parameter,
   estimates the extreme eigenvalues by Lanczos iteration with Hessian-vector
   products (``ag.functional.hvp``, two backward passes each), and checks
   them against the exact spectrum.

    python examples/critical_points.py
    python examples/critical_points.py --full
"""
import math

import numpy as np

import _common as C
from _common import F, ag, nn


# ------------------------------------------------------------------ a net as a function of one flat vector
class FlatMLP:
    """A tanh MLP whose parameters are one flat float64 vector theta (so H is a plain matrix)."""

    def __init__(self, sizes):
        self.sizes = sizes
        self.shapes = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            self.shapes += [(a, b), (b,)]
        self.n = int(sum(np.prod(s) for s in self.shapes))

    def unflatten(self, theta):
        out, i = [], 0
        for s in self.shapes:
            k = int(np.prod(s))
            out.append(theta[i:i + k].reshape(s))
            i += k
        return out

    def forward(self, theta, X):
        ps = self.unflatten(theta)
        h = X
        for j in range(0, len(ps), 2):
            h = h @ ps[j] + ps[j + 1]
            if j + 2 < len(ps):
                h = h.tanh()
        return h.reshape(-1)

    def loss(self, theta, X, y):
        return F.binary_cross_entropy_with_logits(self.forward(theta, X), y)

    def mse(self, theta, X, y):
        return ((self.forward(theta, X) - y) ** 2).mean()

    def init(self, rng, symmetric=False):
        """Xavier-scaled normal weights, zero biases; ``symmetric``: every hidden unit a copy of the first."""
        parts = []
        for s in self.shapes:
            if len(s) == 2:
                w = rng.standard_normal(s) * math.sqrt(2.0 / (s[0] + s[1]))
                if symmetric:
                    w = np.repeat(w[:, :1], s[1], axis=1) if s[1] > 1 else np.repeat(w[:1], s[0], axis=0)
                parts.append(w.ravel())
            else:
                parts.append(np.zeros(s))
        return np.concatenate(parts)


def loss_and_grad(fn, theta):
    t = ag.tensor(theta, requires_grad=True)
    loss = fn(t)
    (g,) = ag.grad(loss, t)
    return float(loss.item()), g.numpy().astype(np.float64)


def exact_hessian(fn, theta):
    H = ag.functional.hessian(fn, ag.tensor(theta)).numpy().astype(np.float64)
    return 0.5 * (H + H.T)


def hvp_fn(fn, theta):
    t = ag.tensor(theta)

    def hv(v):
        _, out = ag.functional.hvp(fn, t, ag.tensor(v))
        return out.numpy().astype(np.float64)
    return hv


def lanczos(hv, n, k, rng):
    """k steps of Lanczos with full re-orthogonalisation: Ritz values (ascending) and vectors.

    Uses only Hessian-vector products; the extreme Ritz values converge to H's extreme eigenvalues first.
    """
    Q = np.zeros((n, k + 1))
    q = rng.standard_normal(n)
    Q[:, 0] = q / np.linalg.norm(q)
    alpha, beta = [], []
    for j in range(k):
        w = hv(Q[:, j])
        a = float(w @ Q[:, j])
        w = w - a * Q[:, j] - (beta[-1] * Q[:, j - 1] if j > 0 else 0.0)
        w -= Q[:, :j + 1] @ (Q[:, :j + 1].T @ w)       # full re-orthogonalisation, twice is enough
        w -= Q[:, :j + 1] @ (Q[:, :j + 1].T @ w)
        alpha.append(a)
        b = float(np.linalg.norm(w))
        if b < 1e-10 or j == k - 1:
            break
        beta.append(b)
        Q[:, j + 1] = w / b
    m = len(alpha)
    T = np.diag(alpha) + np.diag(beta[:m - 1], 1) + np.diag(beta[:m - 1], -1)
    vals, vecs = np.linalg.eigh(T)
    return vals, Q[:, :m] @ vecs


def classify(eigs, grad_norm, tol):
    lo, hi = float(eigs.min()), float(eigs.max())
    if grad_norm > 1e-3:
        return "not a critical point (gradient too large)"
    if lo < -tol * max(abs(hi), 1.0):
        return "saddle point (a negative eigenvalue)"
    return "local minimum (no negative eigenvalue)" if lo > tol * abs(hi) else \
        "minimum or flat valley (eigenvalues >= 0, some ~0)"


def gradient_descent(fn, theta, lr, steps, desc, smoke):
    hist = []
    for _ in C.progress(range(steps), desc=desc, disable=smoke, leave=False):
        loss, g = loss_and_grad(fn, theta)
        hist.append(loss)
        theta = theta - lr * g
    return theta, hist


def newton_polish(fn, theta, iters):
    """Newton's method (pseudo-inverse of H): it converges to the nearest critical point, saddle or not."""
    for _ in range(iters):
        _, g = loss_and_grad(fn, theta)
        H = exact_hessian(fn, theta)
        theta = theta - np.linalg.lstsq(H, g, rcond=1e-10)[0]
    return theta


# ------------------------------------------------------------------ the lesson
def warm_up():
    fn = lambda w: (1 - w[0] * w[1]) ** 2  # noqa: E731
    theta = np.zeros(2)
    H = exact_hessian(fn, theta)
    eigs, vecs = np.linalg.eigh(H)
    _, g = loss_and_grad(fn, theta)
    u = vecs[:, 0]
    a = 0.3
    after = float(fn(ag.tensor(theta + a * u)).item())
    print("1. L(w1, w2) = (1 - w1 w2)^2 at the origin:")
    print(f"   gradient norm {np.linalg.norm(g):.1e}, Hessian eigenvalues {eigs.round(6).tolist()} -> "
          f"{classify(eigs, np.linalg.norm(g), 1e-8)}")
    print(f"   step {a} along u = {u.round(3).tolist()} (eigenvalue {eigs[0]:.1f}): loss 1.000 -> {after:.4f} "
          f"(second-order prediction {1 + 0.5 * eigs[0] * a * a:.4f})")
    return dict(eigs=eigs.tolist(), loss_after=after)


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--hidden", type=int, default=2, help="hidden units of the student net (default: %(default)s)")
    p.add_argument("--lanczos-hidden", type=int, default=None,
                   help="width of the two hidden layers of the Lanczos net (default: 24, --full 48)")
    p.add_argument("--lanczos-steps", type=int, default=None, help="Lanczos iterations (default: 40)")
    p.add_argument("--escape-step", type=float, default=0.3, help="length of the step along the eigenvector")
    args = p.parse_args(argv)
    device = C.setup(args, "Critical points: Hessian eigenvalues tell a saddle from a minimum")
    previous = ag.backends.default_device()
    ag.set_default_device(device)          # every tensor below is made by ag.tensor: put them on --device
    try:
        return _run(args, device)
    finally:
        ag.set_default_device(previous)


def _run(args, device):
    rng = np.random.default_rng(args.seed)
    gd_steps = C.pick(args, 3000, full=20000, smoke=400)
    tol = 1e-6

    n_points = C.pick(args, 200, smoke=100)
    Xs_np = rng.standard_normal((n_points, 2))
    Xs, ys = ag.tensor(Xs_np), ag.tensor(np.tanh(2 * Xs_np[:, 0]) + np.tanh(2 * Xs_np[:, 1]))
    ds = nn.data.datasets.xor(n=n_points, noise=0.1, seed=args.seed)
    X = ag.tensor(ds.tensors[0].numpy().astype(np.float64))
    y = ag.tensor(ds.tensors[1].numpy().astype(np.float64))
    print(f"[data] {n_points} Gaussian points in 2-D labelled by the teacher y = tanh(2 x1) + tanh(2 x2); "
          f"{n_points} XOR points for the Lanczos net (all generated)\n")

    warm = warm_up()

    # ---- 2. a crafted saddle
    net = FlatMLP([2, args.hidden, 1])
    fn = lambda t: net.mse(t, Xs, ys)  # noqa: E731
    theta0 = net.init(rng, symmetric=True)
    print(f"\n2. a {net.sizes} tanh student ({net.n} parameters) with {args.hidden} identical hidden units, "
          f"least squares, full-batch gradient descent ({gd_steps} steps) then Newton's method:")
    theta, hist = gradient_descent(fn, theta0, 0.1, gd_steps, "GD to the saddle", args.smoke)
    theta = newton_polish(fn, theta, 10)
    loss_s, g_s = loss_and_grad(fn, theta)
    H = exact_hessian(fn, theta)
    eigs, vecs = np.linalg.eigh(H)
    W1 = net.unflatten(theta)[0]
    spread = float(np.abs(W1 - W1[:, :1]).max())
    kind = classify(eigs, np.linalg.norm(g_s), tol)
    print(f"   loss {hist[0]:.4f} -> {loss_s:.6f}, gradient norm {np.linalg.norm(g_s):.1e}, hidden units still "
          f"identical (max difference {spread:.1e})")
    print(f"   exact Hessian ({net.n}x{net.n}): eigenvalues from {eigs[0]:.4g} to {eigs[-1]:.4g}; "
          f"{int((eigs < -tol).sum())} negative, {int((np.abs(eigs) <= tol).sum())} ~zero -> {kind}")

    # ---- 3. escape along the most negative eigenvector
    u = vecs[:, 0]
    lam = float(eigs[0])
    print(f"\n3. escape along the eigenvector of the smallest eigenvalue ({lam:.4g}):")
    steps_along = []
    for a in (0.02, 0.05, 0.1, args.escape_step):
        la = float(fn(ag.tensor(theta + a * u)).item())
        steps_along.append((a, la, loss_s + 0.5 * lam * a * a))
        print(f"   step {a:<5g} loss {la:.6f}  (second-order prediction {loss_s + 0.5 * lam * a * a:.6f})")
    stay, hist_stay = gradient_descent(fn, theta, 0.1, gd_steps // 4, "GD from the saddle", args.smoke)
    esc, hist_esc = gradient_descent(fn, theta + args.escape_step * u, 0.1, gd_steps, "GD after the escape",
                                     args.smoke)
    loss_e, g_e = loss_and_grad(fn, esc)
    eigs_e = np.linalg.eigvalsh(exact_hessian(fn, esc))
    kind_e = classify(eigs_e, np.linalg.norm(g_e), 1e-6)
    print(f"   plain gradient descent left at the saddle for {gd_steps // 4} steps: loss {hist_stay[-1]:.6f} "
          "(the gradient is ~0: it does not move)")
    print(f"   gradient descent after the escape step: loss {hist_esc[0]:.6f} -> {loss_e:.2e} in {gd_steps} steps, "
          f"gradient norm {np.linalg.norm(g_e):.1e}")
    print(f"   Hessian there: eigenvalues from {eigs_e[0]:.3g} to {eigs_e[-1]:.3g} -> {kind_e}")

    # ---- 4. Lanczos on a larger net
    width = args.lanczos_hidden or C.pick(args, 24, full=48, smoke=8)
    k = args.lanczos_steps or C.pick(args, 40, smoke=20)
    big = FlatMLP([2, width, width, 1])
    fnb = lambda t: big.loss(t, X, y)  # noqa: E731
    thb = big.init(rng)
    opt_steps = C.pick(args, 1500, full=10000, smoke=200)
    print(f"\n4. a {big.sizes} net ({big.n} parameters), {opt_steps} steps of gradient descent, then Lanczos "
          f"({k} Hessian-vector products):")
    thb, hist_b = gradient_descent(fnb, thb, 0.5, opt_steps, "GD (Lanczos net)", args.smoke)
    loss_b, g_b = loss_and_grad(fnb, thb)
    with C.Timer() as t_l:
        ritz, ritz_vecs = lanczos(hvp_fn(fnb, thb), big.n, min(k, big.n), rng)
    with C.Timer() as t_e:
        exact_b = np.linalg.eigvalsh(exact_hessian(fnb, thb))
    print(f"   loss {hist_b[0]:.4f} -> {loss_b:.4f}, gradient norm {np.linalg.norm(g_b):.1e}")
    print(f"   Lanczos ({t_l.seconds:.1f} s): smallest {ritz[0]:.5g}, largest {ritz[-1]:.5g}")
    print(f"   exact   ({t_e.seconds:.1f} s, {big.n} backward passes): smallest {exact_b[0]:.5g}, largest {exact_b[-1]:.5g}")
    rel_max = abs(ritz[-1] - exact_b[-1]) / abs(exact_b[-1])
    print(f"   relative error of the largest: {rel_max:.1e}; "
          f"{int((exact_b < -1e-4 * exact_b[-1]).sum())} clearly negative eigenvalues exactly, "
          f"smallest Ritz value {ritz[0]:.3g}")

    C.report("critical points", [
        ("warm-up saddle", f"eigenvalues {warm['eigs']}"),
        ("crafted saddle", f"loss {loss_s:.4f}, |grad| {np.linalg.norm(g_s):.1e}, smallest eigenvalue {lam:.3g} -> {kind}"),
        ("after escaping", f"loss {loss_e:.2e} (from {loss_s:.4f}), smallest eigenvalue {eigs_e[0]:.2g} -> {kind_e}"),
        ("Lanczos vs exact", f"largest {ritz[-1]:.4g} vs {exact_b[-1]:.4g} with {len(ritz)} HVPs instead of {big.n}"),
    ])
    print("lesson: a small gradient can be a saddle; the Hessian's negative eigenvalue names the way out, and "
          "Lanczos finds it with Hessian-vector products when the Hessian is too large to form.")

    def draw(plt):
        fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(15, 4))
        a1.bar(range(len(eigs)), eigs), a1.set(title="Hessian eigenvalues at the saddle", xlabel="index")
        a2.semilogy(np.array(hist) - min(hist_esc[-1], hist[-1]) + 1e-6, label="to the saddle")
        a2.semilogy(np.arange(len(hist), len(hist) + len(hist_esc)), np.array(hist_esc) - hist_esc[-1] + 1e-6,
                    label="after the escape step")
        a2.set(title="loss - final loss", xlabel="GD step"), a2.legend()
        a3.hist(exact_b, bins=60, alpha=0.6, label="exact")
        a3.plot(ritz, np.zeros_like(ritz), "r|", ms=20, label="Lanczos Ritz values")
        a3.set(title=f"Hessian spectrum of the {big.n}-parameter net", yscale="log"), a3.legend()
        return fig
    C.maybe_plot(args, "critical_points.png", draw)
    return dict(warm_up=warm, saddle_loss=loss_s, saddle_grad_norm=float(np.linalg.norm(g_s)),
                saddle_eigs=eigs.tolist(), saddle_kind=kind, steps_along=steps_along,
                stay_loss=hist_stay[-1], escaped_loss=loss_e, escaped_grad_norm=float(np.linalg.norm(g_e)),
                escaped_eigs=eigs_e.tolist(), escaped_kind=kind_e, lanczos=ritz.tolist(),
                exact_extremes=(float(exact_b[0]), float(exact_b[-1])), lanczos_n=big.n)


if __name__ == "__main__":
    main()
