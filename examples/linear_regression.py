"""Linear regression by minibatch SGD recovers the true weights and bias.

The lesson (D2L chapters 3.2-3.3, "Linear Regression Implementation from
Scratch" and "Concise Implementation"): generate y = X w + b + noise with
known w and b, fit ``nn.Linear`` by minibatch stochastic gradient descent
on the squared error, and the learned parameters land next to the truth,
as close as the noise allows (the exact least-squares solution, printed
too, is the best any estimator can do on this sample). The mean squared
error falls to the noise floor, sigma^2, and no lower.

    python examples/linear_regression.py             # seconds
    python examples/linear_regression.py --full      # 10x the data, 20 features
"""
import numpy as np

import _common as C
from _common import F, ag, nn


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--noise", type=float, default=0.01, help="noise standard deviation (D2L: 0.01)")
    p.add_argument("--lr", type=float, default=0.03, help="learning rate (D2L: 0.03)")
    p.add_argument("--batch-size", type=int, default=10, help="minibatch size (D2L: 10)")
    args = p.parse_args(argv)
    device = C.setup(args, "Linear regression: minibatch SGD on y = Xw + b + noise")
    if args.data == "mnist":
        print("[data] --data mnist has no meaning here: the data is generated")
    n = C.pick(args, 1000, full=10000, smoke=500)
    d = C.pick(args, 5, full=20, smoke=3)
    epochs = C.n_epochs(args, 3, full=5, smoke=3)

    rng = np.random.default_rng(args.seed)
    w_true = np.round(rng.uniform(-3.4, 3.4, d), 1).astype(np.float32)   # D2L: w = [2, -3.4], b = 4.2
    b_true = np.float32(4.2)
    X = rng.standard_normal((n, d)).astype(np.float32)
    y = (X @ w_true + b_true + rng.normal(0, args.noise, n)).astype(np.float32)[:, None]
    print(f"[data] generated: {n} points, {d} features, noise sigma {args.noise}")

    model = nn.Linear(d, 1).to(device)
    nn.init.normal_(model.weight, 0.0, 0.01)      # D2L's initialisation
    nn.init.zeros_(model.bias)
    opt = nn.optim.SGD(model.parameters(), lr=args.lr)
    train = C.loader(X, y, args.batch_size, seed=args.seed, device=device)
    Xt, yt = C.to_tensors(device, X, y)

    def full_loss():
        with ag.no_grad():
            return F.mse_loss(model(Xt), yt).item()

    losses = [full_loss()]
    step_losses = []
    for epoch in range(epochs):
        with C.Timer() as t:
            for xb, yb in C.progress(train, desc=f"epoch {epoch + 1}", disable=args.smoke, leave=False):
                loss = F.mse_loss(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                step_losses.append(loss.item())
        losses.append(full_loss())
        print(f"epoch {epoch + 1}: mean squared error {losses[-1]:.6f}  ({t.seconds:.2f} s)")

    w_hat = model.weight.detach().cpu().numpy().ravel()
    b_hat = float(model.bias.detach().cpu().numpy()[0])
    A = np.c_[X, np.ones(n, dtype=np.float32)].astype(np.float64)
    ls = np.linalg.lstsq(A, y.astype(np.float64).ravel(), rcond=None)[0]
    print("\n  parameter     true     SGD    least squares")
    for i in range(d):
        print(f"  w[{i:2d}]      {w_true[i]:+7.3f} {w_hat[i]:+7.3f}   {ls[i]:+7.3f}")
    print(f"  b          {b_true:+7.3f} {b_hat:+7.3f}   {ls[-1]:+7.3f}")
    err_w = float(np.max(np.abs(w_hat - w_true)))
    err_b = abs(b_hat - float(b_true))
    C.report("linear regression", [
        ("max |w_hat - w|", f"{err_w:.4f}"), ("|b_hat - b|", f"{err_b:.4f}"),
        ("final MSE", f"{losses[-1]:.6f} (noise floor sigma^2 = {args.noise ** 2:.6f})"),
        ("steps", len(step_losses)),
    ])
    print("lesson: minibatch SGD on the squared error recovers w and b to within the noise, as least squares does.")

    def draw(plt):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
        a1.semilogy(step_losses, lw=0.7)
        a1.axhline(args.noise ** 2, color="gray", ls="--", label="noise floor")
        a1.set_xlabel("step"), a1.set_ylabel("minibatch MSE"), a1.legend()
        a2.bar(np.arange(d) - 0.2, w_true, 0.4, label="true w")
        a2.bar(np.arange(d) + 0.2, w_hat, 0.4, label="SGD w")
        a2.set_xlabel("feature"), a2.legend()
        fig.suptitle("linear regression by minibatch SGD")
        return fig
    C.maybe_plot(args, "linear_regression.png", draw)
    return {"w_true": w_true, "w_hat": w_hat, "b_true": float(b_true), "b_hat": b_hat, "ls": ls,
            "max_abs_err_w": err_w, "abs_err_b": err_b, "losses": losses, "noise": args.noise}


if __name__ == "__main__":
    main()
