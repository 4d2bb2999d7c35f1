"""Cross-entropy against mean squared error for classification.

The lesson (Nielsen, "Neural Networks and Deep Learning", chapter 3; Golik,
Doetsch and Ney, "Cross-Entropy vs. Squared Error Training", Interspeech
2013; D2L 4.1): with a sigmoid or softmax output, the squared error's
gradient carries the derivative of the squashing function, sigma'(z), which
is nearly zero exactly when the output is confidently wrong. So a badly
wrong unit learns slowest when it should learn fastest. The cross-entropy's
gradient is simply (output - target): the log cancels the squashing, and
learning speed is proportional to the error.

Part 1 is Nielsen's single sigmoid neuron (input 1, target 0, starting at
w = b = 2, output 0.98): gradient descent on the squared error sits on a
plateau for a long time, on the cross-entropy it drops at once. Part 2
trains the same MLP on digits three ways, cross-entropy on the softmax,
squared error on the softmax probabilities, and squared error on sigmoid
outputs, with the same optimizer, and compares test accuracy per epoch.

    python examples/loss_functions.py            # default data, a minute or two
    MNIST_DIR=/path/to/idx python examples/loss_functions.py --full
"""
import numpy as np

import _common as C
from _common import F, ag, nn


def single_neuron(loss_name, steps, lr=0.15):
    """Nielsen's example: sigmoid(w*1 + b) trained towards 0 from w = b = 2; returns outputs and first grad."""
    w = ag.tensor(2.0, requires_grad=True)
    b = ag.tensor(2.0, requires_grad=True)
    outs, first_grad = [], None
    for _ in range(steps):
        a = F.sigmoid(w * 1.0 + b)
        loss = 0.5 * a ** 2 if loss_name == "mse" else -(1.0 - a).log()      # target y = 0
        loss.backward()
        if first_grad is None:
            first_grad = abs(w.grad.item())
        with ag.no_grad():
            w.sub_(lr * w.grad)
            b.sub_(lr * b.grad)
        w.grad = b.grad = None
        outs.append(a.item())
    return np.array(outs), first_grad


LOSSES = {
    "cross-entropy (softmax)": lambda out, y: F.cross_entropy(out, y),
    "squared error (softmax)": lambda out, y: F.mse_loss(F.softmax(out, dim=1), F.one_hot(y, 10).float()),
    "squared error (sigmoid)": lambda out, y: F.mse_loss(F.sigmoid(out), F.one_hot(y, 10).float()),
}


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--lr", type=float, default=0.1)
    args = p.parse_args(argv)
    device = C.setup(args, "Loss functions: cross-entropy against squared error for classification")

    # -- part 1: one saturated neuron
    steps = C.pick(args, 300, smoke=300)
    mse_out, mse_g = single_neuron("mse", steps)
    ce_out, ce_g = single_neuron("ce", steps)
    print("\npart 1: one sigmoid neuron, input 1, target 0, start w = b = 2 (output 0.98), lr 0.15")
    print(f"  first gradient |dL/dw|: squared error {mse_g:.4f}, cross-entropy {ce_g:.4f} "
          f"({ce_g / mse_g:.0f}x larger)")
    for s in (10, 50, 100, 300):
        if s <= steps:
            print(f"  output after {s:3d} steps: squared error {mse_out[s - 1]:.3f}   cross-entropy {ce_out[s - 1]:.3f}")

    # -- part 2: the same MLP with three losses
    data = C.load_digits_data(args, n_train=C.pick(args, 20000, full=None, smoke=600), n_test=C.pick(args, None, smoke=300),
                              synthetic_train=C.pick(args, 12000, smoke=600))
    epochs = C.n_epochs(args, 5, full=15, smoke=3)
    curves = {}
    times = []
    for name, loss_fn in LOSSES.items():
        C.seed_everything(args.seed)                       # same initial weights and batches for each loss
        model = nn.Sequential(nn.Flatten(), nn.Linear(data.n_features, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
        opt = nn.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
        train = C.loader(data.X_train, data.y_train, 64, seed=args.seed, device=device)
        accs = [C.evaluate(model, data.X_test, data.y_test, device=device)[1]]
        for epoch in range(epochs):
            with C.Timer() as t:
                C.train_epoch(model, train, opt, loss_fn, desc=f"{name}, epoch {epoch + 1}", smoke=args.smoke)
            times.append(t.seconds)
            accs.append(C.evaluate(model, data.X_test, data.y_test, device=device)[1])
        curves[name] = accs
        print(f"  {name:24s} test accuracy by epoch: " + " ".join(f"{100 * a:.1f}" for a in accs[1:]))

    ce, mse_soft, mse_sig = (curves[k] for k in LOSSES)
    C.report("loss functions", [
        ("part 1, output after 50 steps", f"squared error {mse_out[49]:.3f}, cross-entropy {ce_out[49]:.3f} (target 0)"),
        ("part 2 data", data.name),
        ("test accuracy after epoch 1", ", ".join(f"{k} {100 * v[1]:.2f}%" for k, v in curves.items())),
        (f"test accuracy after epoch {epochs}", ", ".join(f"{k} {100 * v[-1]:.2f}%" for k, v in curves.items())),
        ("time per epoch", f"{np.mean(times):.2f} s"),
    ])
    print("lesson: the squared error's gradient vanishes when a sigmoid/softmax output is confidently wrong; "
          "the cross-entropy's does not, so it learns faster (and is the standard classification loss).")

    def draw(plt):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
        a1.plot(mse_out, label="squared error"), a1.plot(ce_out, label="cross-entropy")
        a1.set_xlabel("step"), a1.set_ylabel("neuron output (target 0)"), a1.legend()
        a1.set_title("one saturated sigmoid neuron")
        for k, v in curves.items():
            a2.plot(range(1, len(v)), [100 * x for x in v[1:]], marker="o", label=k)   # from epoch 1: the
                                                                                          # untrained 10% squashes the axis
        a2.set_xlabel("epoch"), a2.set_ylabel("test accuracy (%)"), a2.legend()
        a2.set_title("MLP on digits, same optimizer")
        return fig
    C.maybe_plot(args, "loss_functions.png", draw)
    return {"neuron_mse_out": mse_out, "neuron_ce_out": ce_out, "neuron_first_grad": (mse_g, ce_g),
            "curves": curves, "time_per_epoch": float(np.mean(times)), "data": data.name}


if __name__ == "__main__":
    main()
