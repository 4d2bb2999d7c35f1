"""XOR: a linear model cannot learn it, a two-layer ReLU network can.

The lesson (Minsky and Papert, "Perceptrons", 1969; Goodfellow, Bengio and
Courville, "Deep Learning", section 6.1): the four points (0,0)->0,
(0,1)->1, (1,0)->1, (1,1)->0 are not linearly separable, so any linear
classifier gets at most 3 of the 4 right, however long it trains. One
hidden layer of ReLU units bends the input space so that a line separates
the classes, and the net gets all four. The same holds on a noisy
2-D XOR cloud (``nn.data.datasets.xor``): the linear model stays near
chance (about 50%), the MLP is near perfect. The decision boundaries of
both models are plotted side by side.

    python examples/xor.py                 # seconds
    python examples/xor.py --full          # more points, longer training
"""
import numpy as np

import _common as C
from _common import F, ag, nn
from nn.training import accuracy

TRUTH_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
TRUTH_Y = np.array([0, 1, 1, 0], dtype=np.int64)


def fit(model, X, y, steps, lr, device, desc=None, quiet=False):
    """Full-batch Adam on the cross-entropy; returns the loss curve."""
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    Xt, yt = C.to_tensors(device, X, y)
    losses = []
    for _ in C.progress(range(steps), desc=desc, disable=quiet, leave=False):
        loss = F.cross_entropy(model(Xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def predict_acc(model, X, y, device):
    with ag.no_grad():
        return accuracy(model(C.to_tensors(device, X)[0]), y)


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--hidden", type=int, default=16)
    args = p.parse_args(argv)
    device = C.setup(args, "XOR: no line separates it; one hidden ReLU layer does")
    if args.data == "mnist":
        print("[data] --data mnist has no meaning here: XOR is 2-D points")
    steps = C.pick(args, 1000, full=3000, smoke=300)
    n = C.pick(args, 400, full=2000, smoke=200)

    def models():
        lin = nn.Linear(2, 2).to(device)
        mlp = nn.Sequential(nn.Linear(2, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 2)).to(device)
        return lin, mlp

    # 1) the four points of the truth table
    with C.Timer() as t:
        lin, mlp = models()
        lin_loss = fit(lin, TRUTH_X * 2 - 1, TRUTH_Y, steps, 0.05, device, "truth table, linear", args.smoke)
        mlp_loss = fit(mlp, TRUTH_X * 2 - 1, TRUTH_Y, steps, 0.05, device, "truth table, MLP", args.smoke)
    lin_truth = predict_acc(lin, TRUTH_X * 2 - 1, TRUTH_Y, device)
    mlp_truth = predict_acc(mlp, TRUTH_X * 2 - 1, TRUTH_Y, device)
    with ag.no_grad():
        mlp_pred = mlp(C.to_tensors(device, TRUTH_X * 2 - 1)[0]).argmax(dim=1).cpu().numpy()
    print("\ntruth table  x1 x2 | XOR | MLP")
    for (a, b), t_, p_ in zip(TRUTH_X.astype(int), TRUTH_Y, mlp_pred):
        print(f"             {a}  {b}  |  {t_}  |  {p_}")
    print(f"linear model: {int(round(4 * lin_truth))}/4 right, final loss {lin_loss[-1]:.3f} "
          f"(stuck near ln 2 = {np.log(2):.3f}); MLP: {int(round(4 * mlp_truth))}/4, loss {mlp_loss[-1]:.4f}")

    # 2) a noisy XOR cloud, with a held-out test set
    train = nn.data.datasets.xor(n=n, noise=0.1, seed=args.seed)
    test = nn.data.datasets.xor(n=1000, noise=0.1, seed=args.seed + 1)
    Xtr, ytr = train.tensors[0].numpy(), train.tensors[1].numpy()
    Xte, yte = test.tensors[0].numpy(), test.tensors[1].numpy()
    lin2, mlp2 = models()
    lin2_loss = fit(lin2, Xtr, ytr, steps, 0.05, device, "noisy XOR, linear", args.smoke)
    mlp2_loss = fit(mlp2, Xtr, ytr, steps, 0.02, device, "noisy XOR, MLP", args.smoke)
    res = {
        "truth_linear_acc": lin_truth, "truth_mlp_acc": mlp_truth,
        "linear_train_acc": predict_acc(lin2, Xtr, ytr, device), "mlp_train_acc": predict_acc(mlp2, Xtr, ytr, device),
        "linear_test_acc": predict_acc(lin2, Xte, yte, device), "mlp_test_acc": predict_acc(mlp2, Xte, yte, device),
        "linear_loss": lin2_loss, "mlp_loss": mlp2_loss, "seconds_truth_table": t.seconds,
        # the true boundary (the axes) applied to the noisy points: the best any model can do here
        "true_boundary_test_acc": float(np.mean(((Xte[:, 0] > 0) ^ (Xte[:, 1] > 0)) == yte)),
    }
    C.report("XOR", [
        ("truth table (4 points)", f"linear {int(round(4 * lin_truth))}/4, MLP 2-{args.hidden}-2 ReLU "
                                   f"{int(round(4 * mlp_truth))}/4"),
        (f"noisy XOR, {n} train points", f"linear train {100 * res['linear_train_acc']:.1f}%, "
                                         f"MLP train {100 * res['mlp_train_acc']:.1f}%"),
        ("noisy XOR, 1000 test points", f"linear {100 * res['linear_test_acc']:.1f}%, "
                                        f"MLP {100 * res['mlp_test_acc']:.1f}% (the true boundary itself: "
                                        f"{100 * res['true_boundary_test_acc']:.1f}%, noise moves points across it)"),
    ])
    print("lesson: XOR is not linearly separable, so a linear model stays at chance level on it "
          "(at most 3/4 on the truth table); a hidden ReLU layer solves it.")

    def draw(plt):
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
        g = np.linspace(-1.4, 1.4, 200, dtype=np.float32)
        gx, gy = np.meshgrid(g, g)
        grid = np.c_[gx.ravel(), gy.ravel()]
        for ax, m, name, acc in ((axes[0], lin2, "linear", res["linear_test_acc"]),
                                 (axes[1], mlp2, f"MLP 2-{args.hidden}-2 ReLU", res["mlp_test_acc"])):
            with ag.no_grad():
                prob = F.softmax(m(C.to_tensors(device, grid)[0]), dim=1)[:, 1].cpu().numpy().reshape(gx.shape)
            ax.contourf(gx, gy, prob, levels=20, cmap="RdBu_r", alpha=0.6)
            ax.contour(gx, gy, prob, levels=[0.5], colors="k")
            ax.scatter(Xtr[:, 0], Xtr[:, 1], c=ytr, cmap="RdBu_r", s=8, edgecolors="k", linewidths=0.2)
            ax.set_title(f"{name}: test accuracy {100 * acc:.1f}%")
        fig.suptitle("XOR decision boundaries (black line: p = 0.5)")
        return fig
    C.maybe_plot(args, "xor_boundaries.png", draw)
    return res


if __name__ == "__main__":
    main()
