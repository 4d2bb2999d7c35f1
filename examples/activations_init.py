"""Activations and initialisation in a 30-layer net: vanishing, exploding and dying gradients.

The lesson (D2L chapter 5.4 "Numerical Stability and Initialization"; Lee
Hung-yi's ML lecture "Tips for Training DNN" on vanishing gradients and
ReLU; Glorot & Bengio 2010 for Xavier; He et al. 2015 for Kaiming; the
dying-ReLU warning of CS231n): the gradient reaching layer l is a product of
30 - l Jacobians, so its size is set by what each layer multiplies it by.

* sigmoid: its slope is at most 1/4, so each layer shrinks the gradient and
  the first layers of a 30-layer net get gradients many orders of magnitude
  smaller than the last (they vanish) and do not learn;
* ReLU with a bad initialisation: weights drawn N(0, 1) multiply activations
  and gradients by about sqrt(width / 2) per layer, so they explode (and the
  first SGD step overflows); PyTorch's default Linear init (variance
  1 / (3 fan_in)) shrinks them by sqrt(6) per layer instead, and they vanish;
* Xavier (tanh) and Kaiming (ReLU) initialisation pick the variance that keeps
  the signal's size from layer to layer, so the per-layer gradient norms stay
  within a narrow band and the deep net trains;
* a learning rate that is too high kills ReLUs: large updates push units to
  where they are negative for every input, their gradient is then exactly
  zero, and they never recover (Adam at 1e-2 here, against 1e-3).

For every set-up the example prints the gradient norm of each layer's
weights and of each layer's output (dL/dh_l), the activations' spread, then
trains each net briefly; the norms are drawn on a log scale (matplotlib) and,
when ``ag.viz`` can render, the graph is drawn with its gradient-health
colours (vanishing / exploding / dead ReLU).

    python examples/activations_init.py
    python examples/activations_init.py --full --data mnist
"""
import math
import os

import numpy as np

import _common as C
from _common import F, ag, nn

# (key, activation, init, label)
CONFIGS = [
    ("sigmoid-default", "sigmoid", "default", "sigmoid, PyTorch default init"),
    ("relu-normal", "relu", "normal", "ReLU, N(0, 1) init"),
    ("relu-default", "relu", "default", "ReLU, PyTorch default init"),
    ("tanh-xavier", "tanh", "xavier", "tanh, Xavier init"),
    ("relu-kaiming", "relu", "kaiming", "ReLU, Kaiming init"),
]


class DeepMLP(nn.Module):
    """``depth`` Linear layers (depth - 1 hidden layers of ``width`` units) with one activation."""

    def __init__(self, in_features, width, depth, n_classes, activation, init):
        super().__init__()
        dims = [in_features] + [width] * (depth - 1) + [n_classes]
        self.layers = nn.ModuleList([nn.Linear(dims[i], dims[i + 1]) for i in range(depth)])
        self.activation = activation
        for lin in self.layers:
            if init == "default":
                continue                              # PyTorch's: U(+-1/sqrt(fan_in)) for weights and biases
            if init == "normal":
                nn.init.normal_(lin.weight, 0.0, 1.0)
            elif init == "xavier":
                nn.init.xavier_normal_(lin.weight, gain=nn.init.calculate_gain(activation))
            elif init == "kaiming":
                nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            else:
                raise ValueError(f"unknown init {init!r}")
            nn.init.zeros_(lin.bias)

    def forward(self, x, keep=None):
        """``keep``: a list that receives every hidden output (with retain_grad, for dL/dh_l)."""
        for i, lin in enumerate(self.layers):
            x = lin(x)
            if i < len(self.layers) - 1:
                x = getattr(x, self.activation)()
                if keep is not None:
                    x.retain_grad()
                    keep.append(x)
        return x


def _norm(t):
    """2-norm in float64 (float32 squares overflow for the exploding net)."""
    a = t.detach().cpu().numpy().astype(np.float64)
    return float(np.linalg.norm(a)) if np.isfinite(a).all() else float("inf")


def gradient_health(model, xb, yb):
    """One forward/backward at initialisation: per-layer gradient norms and activation spreads."""
    hidden = []
    loss = F.cross_entropy(model(xb, keep=hidden), yb)
    model.zero_grad()
    loss.backward()
    weight_grad = [_norm(lin.weight.grad) for lin in model.layers]
    output_grad = [_norm(h.grad) for h in hidden]
    act_std = [float(np.std(h.detach().cpu().numpy().astype(np.float64))) for h in hidden]
    model.zero_grad()
    return dict(loss=float(loss.item()), weight_grad=weight_grad, output_grad=output_grad, act_std=act_std)


def verdict(h):
    """'vanishing', 'exploding' or 'steady', from the gradients reaching the first and last hidden layers."""
    first, last = h["output_grad"][0], h["output_grad"][-1]
    if not math.isfinite(first) or first > 1e3 * last or max(h["weight_grad"]) > 1e6:
        return "exploding"
    if first < 1e-3 * last:
        return "vanishing"
    return "steady"


def dead_fraction(model, X, per_layer=False):
    """Fraction of hidden ReLU units that output zero for every input in X (a dead unit gets no gradient)."""
    dead, total, layers = 0, 0, []
    with ag.no_grad():
        x = X
        for lin in model.layers[:-1]:
            x = getattr(lin(x), model.activation)()
            alive = (x.cpu().numpy() > 0).any(axis=0)
            d = int((~alive).sum())
            dead, total = dead + d, total + alive.size
            layers.append(d / alive.size)
    return (dead / total, layers) if per_layer else dead / total


def train(model, X, y, Xte, yte, steps, batch, make_opt, seed, device, desc, smoke):
    """``steps`` minibatch steps; returns (losses, test accuracy, whether the parameters stayed finite)."""
    opt = make_opt(model.parameters())
    rng = np.random.default_rng(seed)
    losses = []
    with np.errstate(over="ignore", invalid="ignore"):   # the exploding net overflows on purpose
        _train_steps(model, X, y, steps, batch, opt, rng, losses, device, desc, smoke)
    finite = all(np.isfinite(p.detach().cpu().numpy()).all() for p in model.parameters())
    _, acc = C.evaluate(model, Xte, yte, device=device) if finite else (None, float("nan"))
    return losses, acc, finite


def _train_steps(model, X, y, steps, batch, opt, rng, losses, device, desc, smoke):
    for _ in C.progress(range(steps), desc=desc, disable=smoke, leave=False):
        idx = rng.integers(0, len(y), batch)
        xb, yb = C.to_tensors(device, X[idx], y[idx])
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))


def draw_graph(args, model, xb, yb, name):
    """The graph view with gradient-health colours, when ag.viz is there and can render; else say why."""
    try:
        viz = ag.viz
        hidden = []
        loss = F.cross_entropy(model(xb[:8], keep=hidden), yb[:8])
        handle = viz.record_grads(loss)
        loss.backward()
        handle.remove()
        path = C.out_path(args, f"activations_init_graph_{name}.svg")
        try:
            viz.save(loss, path, show_grads=True)
        except Exception as e:  # no SVG renderer here: fall back to the DOT text
            path = os.path.splitext(path)[0] + ".dot"
            viz.save(loss, path, show_grads=True)
            print(f"[viz] SVG rendering unavailable ({type(e).__name__}: {e}); wrote the DOT text")
        model.zero_grad()
        print(f"[viz] saved {os.path.relpath(path)} (graph with gradient-health colours)")
        return path
    except Exception as e:  # the graph view is optional
        print(f"[viz] graph view not drawn ({type(e).__name__}: {e}); the norms above are the same figures")
        return None


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--depth", type=int, default=30, help="number of Linear layers (default: %(default)s)")
    p.add_argument("--width", type=int, default=128, help="hidden units per layer (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=128, help="(default: %(default)s)")
    p.add_argument("--steps", type=int, default=None,
                   help="training steps per set-up (default: 150, --full 1500, --smoke 15)")
    p.add_argument("--lr", type=float, default=0.01, help="SGD (momentum 0.9) learning rate for the "
                   "initialisation comparison (default: %(default)s)")
    p.add_argument("--adam-lr", type=float, default=1e-3, help="a sound Adam learning rate (default: %(default)s)")
    p.add_argument("--high-lr", type=float, default=1e-2, help="a too-high Adam learning rate (default: %(default)s)")
    args = p.parse_args(argv)
    device = C.setup(args, "Activations and initialisation in a deep net: which gradients vanish, explode or die")
    steps = args.steps if args.steps is not None else C.pick(args, 150, full=1500, smoke=15)
    data = C.load_digits_data(args, n_train=C.pick(args, None, smoke=600), n_test=C.pick(args, 2000, full=None,
                              smoke=300), synthetic_train=C.pick(args, 6000, full=12000, smoke=600),
                              synthetic_test=C.pick(args, 2000, smoke=300))
    X = data.X_train.reshape(len(data.y_train), -1)
    mean, std = X.mean(), X.std()
    X = ((X - mean) / std).astype(np.float32)
    Xte = ((data.X_test.reshape(len(data.y_test), -1) - mean) / std).astype(np.float32)
    xb, yb = C.to_tensors(device, X[:256], data.y_train[:256])
    print(f"[model] {args.depth} Linear layers, {args.depth - 1} hidden layers of {args.width} units, "
          f"{X.shape[1]} inputs, 10 classes; gradients from one batch of {len(yb[:])} at initialisation")

    # ---------------------------------------------------------- 1. gradient norms at initialisation
    health = {}
    for key, act, init, label in CONFIGS:
        ag.manual_seed(args.seed)
        model = DeepMLP(X.shape[1], args.width, args.depth, 10, act, init).to(device)
        h = gradient_health(model, xb, yb)
        h["verdict"] = verdict(h)
        h["label"] = label
        wg = h["weight_grad"]
        h["first_over_last"] = wg[0] / wg[-1] if wg[-1] > 0 and math.isfinite(wg[0]) else float("nan")
        h["max_over_min"] = max(wg) / min(wg) if min(wg) > 0 else float("inf")
        health[key] = h

    keys = [c[0] for c in CONFIGS]
    show = sorted({0, 1, 4, 9, 14, 19, 24, args.depth - 2, args.depth - 1} & set(range(args.depth)))
    print("\nper-layer gradient norm ||dL/dW_l|| at initialisation (layer 1 = input side)")
    print("layer " + "".join(f"{k:>17s}" for k in keys))
    for i in show:
        print(f"{i + 1:5d} " + "".join(f"{health[k]['weight_grad'][i]:17.2e}" for k in keys))
    print("\nper-layer ||dL/dh_l|| (gradient reaching each hidden layer's output) and std of h_l")
    print("layer " + "".join(f"{k:>17s}" for k in keys))
    for i in [j for j in show if j < args.depth - 1]:
        print(f"{i + 1:5d} " + "".join(f"{health[k]['output_grad'][i]:9.1e}/{health[k]['act_std'][i]:<7.1e}"
                                       for k in keys))
    print()
    for k in keys:
        h = health[k]
        print(f"  {h['label']:32s} {h['verdict']:9s}  ||dW_1|| / ||dW_{args.depth}|| = {h['first_over_last']:.1e}, "
              f"max/min over layers = {h['max_over_min']:.1e}, largest {max(h['weight_grad']):.1e}")

    # ---------------------------------------------------------- 2. does it train?
    print(f"\ntraining each net for {steps} steps of SGD (lr {args.lr}, momentum 0.9, batch {args.batch_size})")
    trained = {}
    for key, act, init, label in CONFIGS:
        ag.manual_seed(args.seed)
        model = DeepMLP(X.shape[1], args.width, args.depth, 10, act, init).to(device)
        with C.Timer() as t:
            losses, acc, finite = train(model, X, data.y_train, Xte, data.y_test, steps, args.batch_size,
                                        lambda ps: nn.optim.SGD(ps, lr=args.lr, momentum=0.9), args.seed, device,
                                        key, args.smoke)
        k = max(1, min(10, steps // 5))
        first, last = float(np.mean(losses[:k])), float(np.mean(losses[-k:]))
        trained[key] = dict(first_loss=first, last_loss=last, test_acc=acc, finite=finite, seconds=t.seconds,
                            losses=losses)
        status = f"test accuracy {100 * acc:5.1f}%" if finite else "parameters overflowed to inf/NaN: diverged"
        print(f"  {label:32s} loss {first:9.3g} -> {last:9.3g}   {status}   ({t.seconds:.1f} s)")

    # ---------------------------------------------------------- 3. a too-high learning rate kills ReLUs
    print(f"\nReLU + Kaiming, {steps} steps of Adam: a sound learning rate ({args.adam_lr}) against a too-high "
          f"one ({args.high_lr}); a unit is dead when it outputs 0 for all {len(data.y_test[:1000])} test inputs")
    Xdead = C.to_tensors(device, Xte[:1000])[0]
    dying = {}
    for name, lr in (("sound", args.adam_lr), ("too_high", args.high_lr)):
        ag.manual_seed(args.seed)
        model = DeepMLP(X.shape[1], args.width, args.depth, 10, "relu", "kaiming").to(device)
        before = dead_fraction(model, Xdead)
        losses, acc, finite = train(model, X, data.y_train, Xte, data.y_test, steps, args.batch_size,
                                    lambda ps, lr=lr: nn.optim.Adam(ps, lr=lr), args.seed, device,
                                    f"Adam lr {lr}", args.smoke)
        after, per_layer = dead_fraction(model, Xdead, per_layer=True)
        k = max(1, min(10, steps // 5))
        dying[name] = dict(lr=lr, dead_before=before, dead_after=after, dead_per_layer=per_layer, test_acc=acc,
                           last_loss=float(np.mean(losses[-k:])), finite=finite)
        print(f"  lr {lr:<7g} dead units {100 * before:5.1f}% at init -> {100 * after:5.1f}% after training; "
              f"deepest layer {100 * per_layer[-1]:.0f}% dead; loss {dying[name]['last_loss']:.3f}, "
              f"test accuracy {100 * acc:.1f}%")

    s = health["sigmoid-default"]
    C.report("activations and initialisation", [
        ("data", data.name),
        ("sigmoid", f"first-layer gradient {s['first_over_last']:.1e} x the last: vanishes"),
        ("ReLU, N(0,1)", f"gradient norms up to {max(health['relu-normal']['weight_grad']):.1e}: explode"),
        ("ReLU, default", f"first-layer gradient {health['relu-default']['first_over_last']:.1e} x the last"),
        ("tanh + Xavier", f"norms within a factor {health['tanh-xavier']['max_over_min']:.1f} across layers"),
        ("ReLU + Kaiming", f"norms within a factor {health['relu-kaiming']['max_over_min']:.1f} across layers"),
        ("too-high lr", f"{100 * dying['too_high']['dead_after']:.0f}% of ReLUs dead (lr {args.high_lr}) vs "
                        f"{100 * dying['sound']['dead_after']:.0f}% (lr {args.adam_lr})"),
    ])
    print("lesson: keep each layer's gain near 1 -- Xavier for tanh, Kaiming for ReLU -- or the gradient is a "
          "product of 30 factors that vanishes (sigmoid) or explodes (bad init); and a learning rate that is "
          "too high kills ReLUs for good.")

    # ---------------------------------------------------------- pictures
    graphs = {}
    if not args.smoke:
        print("\ndrawing the graph view with gradient-health colours (ag.viz):")
        for key, act, init, _ in CONFIGS:
            if key in ("sigmoid-default", "relu-normal", "relu-kaiming"):
                ag.manual_seed(args.seed)
                model = DeepMLP(X.shape[1], args.width, args.depth, 10, act, init).to(device)
                graphs[key] = draw_graph(args, model, xb, yb, key)
                if graphs[key] is None:
                    break

    def draw(plt):
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.2))
        for key in keys:
            h = health[key]
            axes[0].semilogy(range(1, args.depth + 1), h["weight_grad"], marker=".", label=h["label"])
            axes[1].semilogy(range(1, args.depth), h["output_grad"], marker=".", label=h["label"])
            axes[2].plot(trained[key]["losses"], label=h["label"], lw=0.8)
        axes[0].set(xlabel="layer", ylabel="||dL/dW_l||", title="weight gradients at init")
        axes[1].set(xlabel="layer", ylabel="||dL/dh_l||", title="gradients reaching each layer")
        axes[2].set(xlabel="step", ylabel="training loss", title="training (SGD)", ylim=(0, 5))
        axes[0].legend(fontsize=7)
        return fig
    C.maybe_plot(args, "activations_init.png", draw)
    return dict(health=health, trained=trained, dying=dying, graphs=graphs, data=data.name, depth=args.depth)


if __name__ == "__main__":
    main()
