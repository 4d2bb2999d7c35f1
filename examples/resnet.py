"""ResNet: the degradation problem of deep plain networks, and residual connections as its cure.

The lesson (He et al. 2016, "Deep Residual Learning for Image Recognition",
section 4.2 and figure 6; D2L chapter 8.6 "Residual Networks"; Srivastava et
al. 2015, "Training Very Deep Networks", for highway networks): stacking more
layers on a plain CNN eventually makes *training* error worse, not just test
error. It is not overfitting and not vanishing gradients -- every net here has
BatchNorm after each convolution -- the deeper plain net is simply harder to
optimise. A residual block computes y = relu(x + F(x)): the layers learn a
correction to the identity, the identity path carries signal and gradient
through any depth, and the deep net trains at least as well as the shallow one.
A highway block gates the two paths, y = T(x) * F(x) + (1 - T(x)) * x, with a
learned transform gate T. Gating is not the same cure: the carried signal is
multiplied by 1 - T at every block, so it still shrinks geometrically with
depth, and He et al.'s follow-up ("Identity Mappings in Deep Residual
Networks", 2016, table 1) found such gated shortcuts train worse than plain
identities. Here, after the default run's 188 steps, the 30-layer highway net's
training loss was 1.02 with the gate bias at 0 (``--gate-bias``), 1.28 at -1,
1.92 at -3 and 2.04 at -6 (a gate biased to carry makes F learn slowly).

Four CIFAR-style nets (He et al.'s section 4.2, narrowed to 8 and 16
channels for a CPU) are
trained with the same recipe (SGD, momentum 0.9, weight decay 1e-4, cosine
learning-rate decay) on digit images: a shallow plain net, a deep plain net,
the same deep net with residual blocks, and with highway blocks. The example
prints the training-loss curves side by side (and plots them), then the final
training loss and test accuracy of each.

Layout: conv 3x3 (8 channels, stride 2) -> stage 1 (8 channels, 14x14) ->
stage 2 (16 channels, 7x7, entered by a stride-2 conv) -> global average pool
-> linear. Each stage has n blocks of two 3x3 conv + BatchNorm layers, so the
depth is 4n + 2 weighted layers: 10 for the shallow net (n = 2), 30 for the
deep ones (n = 7).

    python examples/resnet.py
    python examples/resnet.py --full --data mnist
    python examples/resnet.py --deep-blocks 9
"""
import numpy as np

import _common as C
from _common import F, ag, nn


class Block(nn.Module):
    """Two 3x3 conv + BN layers; ``kind`` picks how the input rejoins: 'plain', 'residual' or 'highway'."""

    def __init__(self, c_in, c_out, stride, kind, gate_bias=0.0):
        super().__init__()
        self.kind = kind
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        if kind != "plain" and (stride != 1 or c_in != c_out):
            # projection shortcut (He et al.'s option B) where the shape changes
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
        else:
            self.shortcut = None
        if kind == "highway":
            self.gate = nn.Conv2d(c_in, c_out, 1, stride=stride)
            nn.init.constant_(self.gate.bias, gate_bias)  # Srivastava et al. use -1..-3: mostly carry at first

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.kind == "plain":
            return F.relu(out)
        skip = x if self.shortcut is None else self.shortcut(x)
        if self.kind == "residual":
            return F.relu(out + skip)
        t = self.gate(x).sigmoid()
        return t * F.relu(out) + (1 - t) * skip


class Net(nn.Module):
    def __init__(self, blocks, kind, width=8, num_classes=10, gate_bias=0.0):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU())
        layers = []
        for stage, c in enumerate((width, 2 * width)):
            for b in range(blocks):
                c_in = c if stage == 0 or b > 0 else width
                stride = 2 if stage == 1 and b == 0 else 1
                layers.append(Block(c_in, c, stride, kind, gate_bias))
        self.blocks = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2 * width, num_classes)
        self.depth = 4 * blocks + 2
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and not (kind == "highway" and m.bias is not None):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return self.fc(self.pool(self.blocks(self.stem(x))).flatten(1))


def prepare(X):
    """28x28 as they are; 8x8 images (scikit-learn's digits) upsampled 3x and padded to 28x28."""
    if X.shape[-1] == 8:
        X = np.pad(np.kron(X, np.ones((1, 1, 3, 3), dtype=X.dtype)), ((0, 0), (0, 0), (2, 2), (2, 2)))
    return ((X - 0.1307) / 0.3081).astype(np.float32)


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--shallow-blocks", type=int, default=2, help="blocks per stage, shallow plain net (default: 2)")
    p.add_argument("--deep-blocks", type=int, default=None, help="blocks per stage, deep nets (default: 7)")
    p.add_argument("--width", type=int, default=8, help="channels in stage 1 (default: %(default)s)")
    p.add_argument("--models", default="plain-shallow,plain-deep,resnet-deep,highway-deep",
                   help="comma-separated subset of plain-shallow, plain-deep, resnet-deep, highway-deep")
    p.add_argument("--batch-size", type=int, default=None, help="(default: 64, --smoke 16)")
    p.add_argument("--gate-bias", type=float, default=0.0,
                   help="initial bias of the highway transform gate (default: %(default)s)")
    p.add_argument("--lr", type=float, default=0.05, help="SGD learning rate (default: %(default)s)")
    args = p.parse_args(argv)
    device = C.setup(args, "ResNet: deep plain nets train worse than shallow ones; residual blocks fix it")
    deep = args.deep_blocks or 7
    epochs = C.n_epochs(args, default=2, full=3, smoke=1)
    data = C.load_digits_data(args, n_train=C.pick(args, 6000, full=20000, smoke=640),
                              n_test=C.pick(args, 2000, full=None, smoke=200),
                              synthetic_train=C.pick(args, 6000, full=20000, smoke=640),
                              synthetic_test=C.pick(args, 2000, smoke=200))
    Xtr, Xte = prepare(data.X_train), prepare(data.X_test)
    args.batch_size = args.batch_size or C.pick(args, 64, smoke=16)
    specs = {"plain-shallow": (args.shallow_blocks, "plain"), "plain-deep": (deep, "plain"),
             "resnet-deep": (deep, "residual"), "highway-deep": (deep, "highway")}
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    steps_per_epoch = -(-len(data.y_train) // args.batch_size)
    total = epochs * steps_per_epoch
    print(f"[recipe] SGD lr {args.lr}, momentum 0.9, weight decay 1e-4, cosine decay over {total} steps; batch "
          f"{args.batch_size}; {epochs} epoch(s) of {len(data.y_train):,} images")

    results = {}
    for name in names:
        blocks, kind = specs[name]
        ag.manual_seed(args.seed)
        model = Net(blocks, kind, args.width, gate_bias=args.gate_bias).to(device)
        n_params = sum(q.numel() for q in model.parameters())
        opt = nn.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
        sched = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
        loader = C.loader(Xtr, data.y_train, args.batch_size, seed=args.seed, device=device)
        losses, accs = [], []
        with C.Timer() as t:
            for epoch in range(epochs):
                model.train()
                for xb, yb in C.progress(loader, desc=f"{name} epoch {epoch + 1}", disable=args.smoke, leave=False):
                    out = model(xb)
                    loss = F.cross_entropy(out, yb)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    sched.step()
                    losses.append(float(loss.item()))
                    accs.append(C.accuracy(out, yb))
        # the training loss of the final weights, in eval mode (BatchNorm's running statistics)
        train_loss, train_acc = C.evaluate(model, Xtr[:4000], data.y_train[:4000], device=device)
        test_loss, test_acc = C.evaluate(model, Xte, data.y_test, device=device)
        tail = max(1, len(losses) // 10)
        results[name] = dict(depth=model.depth, kind=kind, params=int(n_params), losses=losses, batch_acc=accs,
                             final_batch_loss=float(np.mean(losses[-tail:])),
                             train_loss=train_loss, train_acc=train_acc, test_loss=test_loss, test_acc=test_acc,
                             seconds=t.seconds, ms_per_step=1e3 * t.seconds / len(losses),
                             time_per_epoch=t.seconds / epochs)
        print(f"  {name:13s} {model.depth:3d} layers, {n_params:7,} parameters: training loss {train_loss:.4f} "
              f"(accuracy {100 * train_acc:.2f}%), test accuracy {100 * test_acc:.2f}%  "
              f"({t.seconds:.0f} s, {1e3 * t.seconds / len(losses):.0f} ms/step)", flush=True)

    # the curves, as text: mean training loss over each tenth of training
    k = max(1, total // 10)
    print("\ntraining loss (minibatch mean over each tenth of training):")
    print("  step   " + "".join(f"{n:>15s}" for n in names))
    for s in range(0, total, k):
        print(f"  {min(s + k, total):5d}  " + "".join(f"{np.mean(results[n]['losses'][s:s + k]):15.4f}" for n in names))

    rows = [("data", data.name)]
    for n in names:
        r = results[n]
        rows.append((f"{n} ({r['depth']} layers)", f"train loss {r['train_loss']:.4f}, test accuracy "
                                                   f"{100 * r['test_acc']:.2f}%, {r['time_per_epoch']:.0f} s/epoch"))
    C.report("degradation and its cure", rows)
    if "plain-shallow" in results and "plain-deep" in results:
        worse = results["plain-deep"]["train_loss"] > results["plain-shallow"]["train_loss"]
        print(f"degradation: the {results['plain-deep']['depth']}-layer plain net ends with "
              f"{'a higher' if worse else 'a lower'} training loss than the {results['plain-shallow']['depth']}-layer one"
              + (" -- more layers, worse fit, on the training set itself." if worse else "."))
    if "plain-deep" in results and "resnet-deep" in results:
        print(f"cure: with residual blocks the same depth reaches training loss {results['resnet-deep']['train_loss']:.4f} "
              f"against {results['plain-deep']['train_loss']:.4f} for the plain net.")
    print("lesson: depth alone makes a plain net harder to optimise (even with BatchNorm); identity shortcuts "
          "let the deep net train at least as well as the shallow one, while gated (highway) shortcuts scale the "
          "carried signal by 1 - T at every block and help less.")

    def draw(plt):
        fig, ax = plt.subplots(figsize=(8, 5))
        for n in names:
            ls = np.array(results[n]["losses"])
            w = max(1, len(ls) // 40)
            ax.plot(np.convolve(ls, np.ones(w) / w, mode="valid"), label=f"{n} ({results[n]['depth']} layers)")
        ax.set(xlabel="step", ylabel="training loss (moving average)", yscale="log",
               title="plain vs residual vs highway CNNs")
        ax.legend()
        return fig
    C.maybe_plot(args, "resnet_curves.png", draw)
    return dict(results=results, data=data.name, epochs=epochs, deep_blocks=deep)


if __name__ == "__main__":
    main()
