"""Small against large minibatches: time per epoch and test accuracy.

The lesson (D2L chapter 12.5 "Minibatch Stochastic Gradient Descent";
Keskar et al., "On Large-Batch Training for Deep Learning", ICLR 2017;
Goyal et al., "Accurate, Large Minibatch SGD", 2017): a larger batch makes
each epoch cheaper, because the work per step is one big matrix product
instead of many small ones with their fixed per-step overhead, but it also
makes fewer parameter updates per epoch. With the same learning rate and
the same number of epochs, small batches end at a higher accuracy and large
ones fall behind. Scaling the learning rate with the batch size (the linear
scaling rule, lr = base_lr * B / 32, capped at 1) wins back much of the gap, up to the
batch size where the larger steps become unstable.

The same MLP (784-256-10, ReLU, SGD with momentum 0.9) is trained for the
same number of epochs at each batch size, with the base learning rate and
with the linearly scaled one.

    python examples/batch_size.py             # default data, about a minute
    MNIST_DIR=/path/to/idx python examples/batch_size.py --full
"""
import numpy as np

import _common as C
from _common import F, nn


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--lr", type=float, default=0.01, help="base learning rate, for batch 32")
    args = p.parse_args(argv)
    device = C.setup(args, "Batch size: time per epoch against accuracy after a fixed number of epochs")
    data = C.load_digits_data(args, n_train=C.pick(args, None if args.full else 20000, smoke=600),
                              n_test=C.pick(args, None, smoke=300), synthetic_train=C.pick(args, 12000, smoke=600))
    batches = C.pick(args, [8, 32, 128, 512, 2048], full=[8, 32, 128, 512, 2048, 8192], smoke=[16, 128])
    epochs = C.n_epochs(args, 3, full=10, smoke=2)
    X, y = data.X_train, data.y_train

    rows = []
    for rule in ("same lr", "linear scaling"):
        for bs in batches:
            lr = args.lr if rule == "same lr" else min(args.lr * bs / 32, 1.0)
            C.seed_everything(args.seed)                      # every run starts from the same weights
            model = nn.Sequential(nn.Flatten(), nn.Linear(data.n_features, 256), nn.ReLU(),
                                  nn.Linear(256, 10)).to(device)
            opt = nn.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
            train = C.loader(X, y, bs, seed=args.seed, device=device)
            times = []
            for epoch in range(epochs):
                with C.Timer() as t:
                    tr_loss, _ = C.train_epoch(model, train, opt, F.cross_entropy,
                                               desc=f"{rule}, batch {bs}, epoch {epoch + 1}", smoke=args.smoke)
                times.append(t.seconds)
            test_loss, test_acc = C.evaluate(model, data.X_test, data.y_test, device=device)
            rows.append({"rule": rule, "batch_size": bs, "lr": lr, "steps": epochs * len(train),
                         "time_per_epoch": float(np.median(times)), "train_loss": tr_loss,
                         "test_loss": test_loss, "test_acc": test_acc})
            print(f"  {rule:14s} batch {bs:5d}  lr {lr:<7.4g} steps {epochs * len(train):6d}  "
                  f"time/epoch {np.median(times):6.2f} s  train loss {tr_loss:.4f}  test acc {100 * test_acc:.2f}%")

    same = [r for r in rows if r["rule"] == "same lr"]
    scaled = [r for r in rows if r["rule"] == "linear scaling"]
    C.report("batch size", [("data", data.name), ("epochs per run", epochs)] + [
        (f"batch {a['batch_size']}", f"{a['time_per_epoch']:.2f} s/epoch; test acc {100 * a['test_acc']:.2f}% "
                                     f"(same lr {a['lr']:g}), {100 * b['test_acc']:.2f}% (scaled lr {b['lr']:g})")
        for a, b in zip(same, scaled)])
    print("lesson: bigger batches make an epoch cheaper but take fewer steps, so at a fixed lr and epoch budget "
          "they end less accurate; scaling the lr with the batch recovers much of it.")

    def draw(plt):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
        bs = [r["batch_size"] for r in same]
        a1.loglog(bs, [r["time_per_epoch"] for r in same], marker="o")
        a1.set_xlabel("batch size"), a1.set_ylabel("seconds per epoch"), a1.set_title("time per epoch")
        a2.semilogx(bs, [100 * r["test_acc"] for r in same], marker="o", label="same lr")
        a2.semilogx(bs, [100 * r["test_acc"] for r in scaled], marker="s", label="lr x B/32")
        a2.set_xlabel("batch size"), a2.set_ylabel(f"test accuracy after {epochs} epochs (%)"), a2.legend()
        fig.suptitle("small against large batches")
        return fig
    C.maybe_plot(args, "batch_size.png", draw)
    return {"rows": rows, "epochs": epochs, "data": data.name}


if __name__ == "__main__":
    main()
