"""Optimizers compared: SGD, momentum, Nesterov, Adagrad, RMSProp, Adam and AdamW.

The lesson (D2L chapter 12 "Optimization Algorithms"; Lee Hung-yi's ML 2021
lecture "Adaptive learning rate" with its warm-up and decay; Loshchilov &
Hutter 2019 for AdamW): every optimizer is gradient descent plus a memory of
past gradients. Momentum keeps a running direction (and Nesterov looks ahead
along it), Adagrad and RMSProp divide each coordinate by the root of its
squared-gradient history (Adagrad's grows forever, RMSProp's decays), Adam
does both with bias correction, and AdamW decays the weights directly instead
of through the gradient. A learning-rate schedule -- a linear warm-up, then
cosine decay -- wraps all of them (``nn.optim.lr_scheduler``: LinearLR,
CosineAnnealingLR, SequentialLR).

Part 1 trains the same MLP from the same initial weights on the same batches
with each optimizer and prints (and plots, in one figure) the loss curves.
Part 2 runs each optimizer on a 2-D surface with a saddle,

    f(x, y) = x^2 / 2 + y^4 / 4 - y^2 / 2     (saddle at 0, minima at (0, +-1)),

starting almost on the saddle's ridge, and counts the steps each one takes to
get away from the saddle into a minimum: plain gradient descent crawls, since
the gradient pointing away from the saddle starts at 1e-4; momentum builds
speed; the adaptive methods rescale the tiny coordinate and leave at once.

    python examples/optimizers.py
    python examples/optimizers.py --full --data mnist
"""
import numpy as np

import _common as C
from _common import F, ag, nn
from nn import optim
from nn.optim import lr_scheduler

# name -> (factory, learning rate on the MLP, learning rate on the 2-D surface)
OPTIMIZERS = {
    "SGD": (lambda ps, lr: optim.SGD(ps, lr=lr), 0.1, 0.05),
    "momentum": (lambda ps, lr: optim.SGD(ps, lr=lr, momentum=0.9), 0.02, 0.05),
    "Nesterov": (lambda ps, lr: optim.SGD(ps, lr=lr, momentum=0.9, nesterov=True), 0.02, 0.05),
    "Adagrad": (lambda ps, lr: optim.Adagrad(ps, lr=lr), 0.02, 0.5),
    "RMSProp": (lambda ps, lr: optim.RMSprop(ps, lr=lr), 1e-3, 0.02),
    "Adam": (lambda ps, lr: optim.Adam(ps, lr=lr), 1e-3, 0.05),
    "AdamW": (lambda ps, lr: optim.AdamW(ps, lr=lr, weight_decay=0.05), 1e-3, 0.05),
}


def make_model(n_in, hidden):
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, 10))


def make_schedule(opt, kind, total, warmup):
    """'warmup-cosine': LinearLR from 10% over ``warmup`` steps, then cosine decay to 0; 'none'."""
    if kind == "none":
        return None
    warm = lr_scheduler.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=warmup)
    decay = lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, total - warmup))
    return lr_scheduler.SequentialLR(opt, [warm, decay], milestones=[warmup])


def saddle_surface(p):
    x, y = p[0], p[1]
    return 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y


def run_surface(name, steps, start):
    factory, _, lr = OPTIMIZERS[name]
    p = nn.Parameter(ag.tensor(np.array(start, dtype=np.float64)))
    opt = factory([p], lr)
    path, escaped = [p.detach().numpy().copy()], None
    for t in range(steps):
        loss = saddle_surface(p)
        opt.zero_grad()
        loss.backward()
        opt.step()
        path.append(p.detach().numpy().copy())
        if escaped is None and abs(path[-1][1]) > 0.5 and abs(path[-1][0]) < 0.5:
            escaped = t + 1
    final = float(saddle_surface(ag.tensor(path[-1])).item())
    return dict(path=np.array(path), escaped_at=escaped, final=final, lr=lr)


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--optimizers", default=",".join(OPTIMIZERS), help="comma-separated subset (default: all)")
    p.add_argument("--hidden", type=int, default=128, help="MLP hidden units (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=128, help="(default: %(default)s)")
    p.add_argument("--schedule", choices=["warmup-cosine", "none"], default="warmup-cosine",
                   help="learning-rate schedule per step (default: %(default)s)")
    p.add_argument("--warmup", type=float, default=0.05, help="warm-up fraction of all steps (default: %(default)s)")
    p.add_argument("--surface-steps", type=int, default=None, help="steps on the 2-D surface (default: 300)")
    args = p.parse_args(argv)
    device = C.setup(args, "Optimizers: the same model, seven update rules, one learning-rate schedule")
    names = [n.strip() for n in args.optimizers.split(",") if n.strip()]
    unknown = [n for n in names if n not in OPTIMIZERS]
    if unknown:
        raise SystemExit(f"unknown optimizer(s) {unknown}; choose from {list(OPTIMIZERS)}")
    epochs = C.n_epochs(args, default=5, full=10, smoke=4)
    data = C.load_digits_data(args, n_train=C.pick(args, None, smoke=640), n_test=C.pick(args, None, smoke=300),
                              synthetic_train=C.pick(args, 12000, smoke=640), synthetic_test=C.pick(args, 2000, smoke=300))
    Xtr = data.X_train.reshape(len(data.y_train), -1)
    Xte = data.X_test.reshape(len(data.y_test), -1)
    steps_per_epoch = -(-len(data.y_train) // args.batch_size)
    total = epochs * steps_per_epoch
    warmup = max(1, int(args.warmup * total))
    print(f"[model] MLP {Xtr.shape[1]}-{args.hidden}-{args.hidden}-10, batch {args.batch_size}, {epochs} epoch(s) = "
          f"{total} steps per optimizer; schedule {args.schedule}"
          + (f" ({warmup} warm-up steps from 10% of the lr, then cosine to 0)" if args.schedule != "none" else ""))

    ag.manual_seed(args.seed)
    init_state = {k: v.detach().clone() for k, v in make_model(Xtr.shape[1], args.hidden).state_dict().items()}
    results = {}
    for name in names:
        factory, lr, _ = OPTIMIZERS[name]
        model = make_model(Xtr.shape[1], args.hidden).to(device)
        model.load_state_dict(init_state)                   # the same start for every optimizer
        opt = factory(model.parameters(), lr)
        sched = make_schedule(opt, args.schedule, total, warmup)
        loader = C.loader(Xtr, data.y_train, args.batch_size, seed=args.seed, device=device)  # same batches
        losses, lrs = [], []
        with C.Timer() as t:
            for epoch in range(epochs):
                model.train()
                for xb, yb in C.progress(loader, desc=f"{name} epoch {epoch + 1}", disable=args.smoke, leave=False):
                    loss = F.cross_entropy(model(xb), yb)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    lrs.append(opt.param_groups[0]["lr"])
                    if sched is not None:
                        sched.step()
                    losses.append(float(loss.item()))
        _, test_acc = C.evaluate(model, Xte, data.y_test, device=device)
        k = max(1, min(20, len(losses) // 5))
        results[name] = dict(lr=lr, losses=losses, lrs=lrs, first_loss=float(np.mean(losses[:k])),
                             last_loss=float(np.mean(losses[-k:])), test_acc=test_acc, seconds=t.seconds)
        print(f"  {name:9s} lr {lr:<6g} loss {results[name]['first_loss']:.3f} -> {results[name]['last_loss']:.3f}  "
              f"test accuracy {100 * test_acc:5.2f}%  ({t.seconds:.1f} s, peak lr {max(lrs):.3g}, "
              f"last lr {lrs[-1]:.2g})")

    # ---- part 2: the saddle surface
    surface_steps = args.surface_steps or 300
    start = (2.0, 1e-4)
    print(f"\nf(x, y) = x^2/2 + y^4/4 - y^2/2 from {start} (the saddle's ridge is y = 0), {surface_steps} steps; "
          "'escaped' = first step with |y| > 0.5 and |x| < 0.5 (near a minimum at (0, +-1), f = -0.25)")
    surface = {}
    for name in names:
        surface[name] = r = run_surface(name, surface_steps, start)
        esc = f"escaped after {r['escaped_at']:4d} steps" if r["escaped_at"] else "still at the saddle      "
        x, y = r["path"][-1]
        print(f"  {name:9s} lr {r['lr']:<5g} {esc}  final (x, y) = ({x:+.3f}, {y:+.3f}), f = {r['final']:+.4f}")

    best = min(names, key=lambda n: results[n]["last_loss"])
    C.report("optimizers", [
        ("data", data.name),
        ("lowest final training loss", f"{best} ({results[best]['last_loss']:.3f})"),
        ("test accuracy", ", ".join(f"{n} {100 * results[n]['test_acc']:.1f}%" for n in names)),
        ("saddle escape (steps)", ", ".join(f"{n} {surface[n]['escaped_at'] or 'never'}" for n in names)),
    ])
    print("lesson: on the same model the adaptive methods need little tuning and momentum speeds plain SGD; "
          "near a saddle, where the gradient is tiny, momentum and per-coordinate scaling get away far sooner "
          "than gradient descent; warm-up protects the first steps and decay settles the last.")

    def draw(plt):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 5))
        for n in names:
            ls = np.array(results[n]["losses"])
            w = max(1, len(ls) // 50)
            a1.plot(np.convolve(ls, np.ones(w) / w, mode="valid"), label=n)
        a1.set(xlabel="step", ylabel="training loss (moving average)", yscale="log",
               title=f"same MLP, same batches ({args.schedule})")
        a1.legend()
        xs, ys = np.meshgrid(np.linspace(-2.2, 2.2, 200), np.linspace(-1.6, 1.6, 200))
        a2.contour(xs, ys, 0.5 * xs ** 2 + 0.25 * ys ** 4 - 0.5 * ys ** 2, levels=30, cmap="gray", linewidths=0.5)
        for n in names:
            pth = surface[n]["path"]
            a2.plot(pth[:, 0], pth[:, 1], label=n, lw=1.2)
        a2.plot([0], [0], "kx", ms=10)
        a2.set(title="trajectories near a saddle (x marks it)", xlabel="x", ylabel="y")
        a2.legend(fontsize=8)
        return fig
    C.maybe_plot(args, "optimizers.png", draw)
    return dict(results=results, surface={n: {k: v for k, v in r.items() if k != "path"} for n, r in surface.items()},
                epochs=epochs, data=data.name)


if __name__ == "__main__":
    main()
