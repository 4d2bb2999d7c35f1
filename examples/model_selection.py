"""Model selection by K-fold cross-validation: hidden width and weight decay.

The lesson (D2L chapter 3.6 "Generalization" and 3.7 "Weight Decay";
Hastie, Tibshirani and Friedman, "Elements of Statistical Learning" 7.10):
the training error says nothing about which model to pick. A net too
narrow *underfits* (training and validation accuracy both low); a net with
plenty of capacity for few examples *overfits* (training accuracy 100%,
validation well below it: the gap is the overfitting); weight decay (an L2
penalty) narrows the gap. K-fold cross-validation estimates each
candidate's validation accuracy on data it was not trained on, and picks
one; the test set is used once, for the chosen model only.

What the curves also show, against the textbook U-shape: on digits the
validation accuracy need not fall as the width grows past the point of
fitting the training set exactly; wide nets trained by SGD often generalise
as well or better (Zhang et al., "Understanding deep learning requires
rethinking generalization", 2017; Belkin et al., "double descent", 2019).
The example says which of the two it found.

On a small training set (1,000 digits by default, so that overfitting is
visible), for each hidden width and weight decay, a one-hidden-layer ReLU
MLP is trained on K-1 folds and scored on the held-out fold, K times. The
plots show train and validation accuracy against width (the capacity curve)
and against weight decay, and the loss curves of the widest net.

    python examples/model_selection.py            # 3 folds, 4 widths x 3 decays, a couple of minutes
    python examples/model_selection.py --full     # 5 folds, 5 widths x 4 decays, 2,000 digits
"""
import itertools

import numpy as np

import _common as C
from _common import F, nn


def train_eval(width, wd, Xtr, ytr, Xva, yva, epochs, args, device, lr=0.05):
    """Train a 1-hidden-layer MLP; return per-epoch (train loss, train acc, val loss, val acc)."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(Xtr[0].size, width), nn.ReLU(), nn.Linear(width, 10)).to(device)
    opt = nn.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=wd)
    train = C.loader(Xtr, ytr, 32, seed=args.seed, device=device)
    curve = []
    for _ in range(epochs):
        C.train_epoch(model, train, opt, F.cross_entropy, smoke=True)        # quiet: many small runs
        curve.append(C.evaluate(model, Xtr, ytr, device=device) + C.evaluate(model, Xva, yva, device=device))
    return np.array(curve), model


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--n-train", type=int, default=None, help="training digits used (default 1000; --full 2000)")
    args = p.parse_args(argv)
    device = C.setup(args, "Model selection: K-fold cross-validation over hidden width and weight decay")
    n_train = args.n_train or C.pick(args, 1000, full=2000, smoke=300)
    data = C.load_digits_data(args, n_train=n_train, n_test=C.pick(args, 2000, smoke=300),
                              synthetic_train=max(n_train, 2000), synthetic_test=2000)
    widths = C.pick(args, [2, 16, 128, 1024], full=[2, 8, 32, 128, 1024], smoke=[2, 64])
    decays = C.pick(args, [0.0, 1e-3, 1e-2], full=[0.0, 1e-4, 1e-3, 1e-2], smoke=[0.0, 1e-2])
    k = C.pick(args, 3, full=5, smoke=2)
    epochs = C.n_epochs(args, 30, full=50, smoke=4)
    X, y = data.X_train, data.y_train

    folds = list(nn.data.KFold(n_splits=k, shuffle=True, random_state=args.seed).split(len(y)))
    results = {}
    with C.Timer() as total:
        for width, wd in C.progress(list(itertools.product(widths, decays)), desc="grid", disable=args.smoke):
            curves = np.stack([train_eval(width, wd, X[tr], y[tr], X[va], y[va], epochs, args, device)[0]
                               for tr, va in folds])                 # (k, epochs, 4)
            mean = curves.mean(axis=0)
            results[(width, wd)] = {"curve": mean, "train_acc": mean[-1, 1], "val_acc": mean[-1, 3],
                                    "val_acc_std": curves[:, -1, 3].std(), "train_loss": mean[-1, 0],
                                    "val_loss": mean[-1, 2]}
            print(f"  width {width:5d}  weight decay {wd:<7g} train acc {100 * mean[-1, 1]:6.2f}%  "
                  f"val acc {100 * mean[-1, 3]:6.2f}% +- {100 * curves[:, -1, 3].std():.2f}  "
                  f"gap {100 * (mean[-1, 1] - mean[-1, 3]):+6.2f}")

    best = max(results, key=lambda key: results[key]["val_acc"])
    _, final = train_eval(best[0], best[1], X, y, data.X_test[:1], data.y_test[:1], epochs, args, device)
    test_loss, test_acc = C.evaluate(final, data.X_test, data.y_test, device=device)
    narrow, wide = results[(widths[0], 0.0)], results[(widths[-1], 0.0)]
    wide_wd = results[(widths[-1], max(decays))]
    C.report("model selection", [
        ("data", f"{data.name}; {len(y)} training digits, {k}-fold CV, {epochs} epochs per fit"),
        ("chosen", f"width {best[0]}, weight decay {best[1]:g} (CV accuracy {100 * results[best]['val_acc']:.2f}%)"),
        ("test accuracy of the chosen model", f"{100 * test_acc:.2f}% (retrained on all {len(y)} digits)"),
        (f"underfitting (width {widths[0]})", f"train {100 * narrow['train_acc']:.1f}%, "
                                              f"val {100 * narrow['val_acc']:.1f}%: both low"),
        (f"overfitting (width {widths[-1]}, no decay)", f"train {100 * wide['train_acc']:.1f}%, "
                                                        f"val {100 * wide['val_acc']:.1f}%: gap "
                                                        f"{100 * (wide['train_acc'] - wide['val_acc']):.1f} points"),
        (f"weight decay {max(decays):g} on width {widths[-1]}", f"gap {100 * (wide_wd['train_acc'] - wide_wd['val_acc']):.1f} points"),
        ("time", f"{total.seconds:.1f} s for {len(results) * k} fits"),
    ])
    val_by_width = [max(results[(w, wd)]["val_acc"] for wd in decays) for w in widths]
    peak = widths[int(np.argmax(val_by_width))]
    if peak == widths[-1]:
        shape = (f"validation accuracy kept rising with width up to {peak}: past the width that fits the training "
                 "set, more capacity did not hurt here (the overfitting shows as the train-validation gap instead)")
    else:
        shape = f"validation accuracy peaked at width {peak}: beyond it the extra capacity overfits"
    print("lesson: pick capacity and regularisation by validation accuracy (here K-fold CV), never by training "
          f"accuracy; too little capacity underfits (width {widths[0]}); {shape}.")

    def draw(plt):
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
        for wd in decays:
            tr = [results[(w, wd)]["train_acc"] for w in widths]
            va = [results[(w, wd)]["val_acc"] for w in widths]
            line, = axes[0].plot(widths, va, marker="o", label=f"val, wd={wd:g}")
            axes[0].plot(widths, tr, ls="--", color=line.get_color(), label=f"train, wd={wd:g}")
        axes[0].set_xscale("log", base=2), axes[0].set_xlabel("hidden width"), axes[0].set_ylabel("accuracy")
        axes[0].set_title("capacity: underfit (left) to overfit (gap, right)"), axes[0].legend(fontsize=7)
        for w in widths:
            axes[1].plot(range(len(decays)), [results[(w, wd)]["val_acc"] for wd in decays], marker="o",
                         label=f"width {w}")
        axes[1].set_xticks(range(len(decays)), [f"{wd:g}" for wd in decays])
        axes[1].set_xlabel("weight decay"), axes[1].set_ylabel(f"{k}-fold validation accuracy"), axes[1].legend()
        for wd in (0.0, max(decays)):
            c = results[(widths[-1], wd)]["curve"]
            line, = axes[2].plot(c[:, 2], label=f"val loss, wd={wd:g}")
            axes[2].plot(c[:, 0], ls="--", color=line.get_color(), label=f"train loss, wd={wd:g}")
        axes[2].set_xlabel("epoch"), axes[2].set_yscale("log"), axes[2].set_title(f"width {widths[-1]}")
        axes[2].legend()
        fig.suptitle(f"model selection by {k}-fold cross-validation: chose width {best[0]}, wd {best[1]:g}; "
                     f"test {100 * test_acc:.2f}%")
        return fig
    C.maybe_plot(args, "model_selection.png", draw)
    return {"results": {f"{w}/{wd:g}": {k_: v for k_, v in r.items() if k_ != "curve"} for (w, wd), r in results.items()},
            "best_width": best[0], "best_weight_decay": best[1], "test_acc": test_acc,
            "underfit": (narrow["train_acc"], narrow["val_acc"]), "overfit": (wide["train_acc"], wide["val_acc"]),
            "overfit_with_decay": (wide_wd["train_acc"], wide_wd["val_acc"]), "seconds": total.seconds,
            "val_peak_width": peak}


if __name__ == "__main__":
    main()
