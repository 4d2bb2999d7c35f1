"""Softmax regression on MNIST: one linear layer and a softmax reach about 92%.

The lesson (TensorFlow's first tutorial, "MNIST For ML Beginners", 2015):
the simplest model that can classify digits is y = softmax(x W + b) with
x the 784 pixels. Trained by minibatch gradient descent on the cross-entropy
(TensorFlow's recipe: batches of 100, learning rate 0.5, 1,000 steps) it
gets about 92% of the test digits right. That is the baseline every deeper
model has to beat; 8% errors is bad, and the plotted weights show why: each
class's weights are one blurry template, and a digit that does not match its
template is lost.

    python examples/softmax_regression.py                  # default data, a minute
    MNIST_DIR=/path/to/idx python examples/softmax_regression.py --full   # 10 epochs on MNIST

Without MNIST it runs on the fallback data (see examples/_common.py).
"""
import numpy as np

import _common as C
from _common import F, nn


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: the tutorial's 0.5 on MNIST, 0.1 on the fallback data, "
                        "whose images have more ink and noise)")
    p.add_argument("--batch-size", type=int, default=100)
    args = p.parse_args(argv)
    device = C.setup(args, "Softmax regression: y = softmax(xW + b), trained by minibatch SGD on the cross-entropy")
    data = C.load_digits_data(args, n_train=C.pick(args, None, smoke=1500), n_test=C.pick(args, None, smoke=500),
                              synthetic_train=C.pick(args, 12000, smoke=1500), synthetic_test=2000)
    Xtr = data.X_train.reshape(len(data.y_train), -1)
    Xte = data.X_test.reshape(len(data.y_test), -1)
    steps_per_epoch = -(-len(data.y_train) // args.batch_size)
    # TensorFlow's 1,000 steps by default (about 1.7 epochs of MNIST); --full trains 10 epochs
    epochs = C.n_epochs(args, default=max(1, round(1000 / steps_per_epoch)), full=10, smoke=2)

    model = nn.Linear(data.n_features, 10).to(device)
    nn.init.zeros_(model.weight)          # as the tutorial: W = 0, b = 0 (the loss is convex)
    nn.init.zeros_(model.bias)
    lr = args.lr if args.lr is not None else (0.5 if data.is_mnist else 0.1)
    opt = nn.optim.SGD(model.parameters(), lr=lr)
    train = C.loader(Xtr, data.y_train, args.batch_size, seed=args.seed, device=device)

    first_loss, _ = C.evaluate(model, Xtr, data.y_train, device=device)
    history, times = [], []
    for epoch in range(epochs):
        with C.Timer() as t:
            tr_loss, tr_acc = C.train_epoch(model, train, opt, F.cross_entropy, desc=f"epoch {epoch + 1}",
                                            smoke=args.smoke)
        te_loss, te_acc = C.evaluate(model, Xte, data.y_test, device=device)
        times.append(t.seconds)
        history.append((tr_loss, tr_acc, te_loss, te_acc))
        print(f"epoch {epoch + 1:2d}/{epochs}  train loss {tr_loss:.4f} acc {tr_acc:.4f}  "
              f"test loss {te_loss:.4f} acc {te_acc:.4f}  ({t.seconds:.1f} s)")

    test_acc = history[-1][3]
    final_train_loss, _ = C.evaluate(model, Xtr, data.y_train, device=device)
    C.report("softmax regression", [
        ("data", data.name), ("steps", f"{epochs * steps_per_epoch} (batch {args.batch_size}, lr {lr})"),
        ("test accuracy", f"{100 * test_acc:.2f}%  (TensorFlow tutorial on MNIST: about 92%)"),
        ("time per epoch", f"{np.mean(times):.2f} s"),
    ])
    print("lesson: a linear model on raw pixels is a real baseline (about 92% on MNIST) but makes ~1 error in 12;"
          " each class is one template (see the weight images).")

    W = model.weight.detach().cpu().numpy()

    def draw(plt):
        fig, axes = plt.subplots(1, 11, figsize=(16, 2))
        m = float(np.abs(W).max())
        for k in range(10):
            axes[k].imshow(W[k].reshape(data.image_shape), cmap="seismic", vmin=-m, vmax=m)
            axes[k].set_title(str(k))
            axes[k].axis("off")
        axes[10].plot(range(1, len(history) + 1), [h[3] for h in history], marker="o")
        axes[10].set_title("test acc / epoch")
        fig.suptitle("softmax regression: the learned weight template of each class (red +, blue -)")
        return fig
    C.maybe_plot(args, "softmax_regression_weights.png", draw)
    return {"test_acc": test_acc, "first_loss": first_loss, "final_train_loss": final_train_loss,
            "epochs": epochs, "time_per_epoch": float(np.mean(times)), "data": data.name}


if __name__ == "__main__":
    main()
