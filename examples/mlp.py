"""A multilayer perceptron on MNIST with dropout, weight decay and early stopping.

The lesson (Keras's mnist_mlp.py; Srivastava et al., "Dropout", JMLR 2014;
D2L chapters 5.5-5.6): two hidden layers of 512 ReLU units take MNIST from
softmax regression's 92% to about 98.4%, but a net this size (670k weights
for 60k images) memorises its training set. Three standard remedies keep it
honest, and the train/validation curves show each at work:

* dropout (p = 0.2 after each hidden layer): the training accuracy stays
  below 100% and the validation accuracy keeps rising;
* weight decay, i.e. an L2 penalty (``weight_decay`` of the optimizer);
* early stopping: 5,000 training images are held out as a validation set,
  the weights of the best validation epoch are kept, and training stops
  after ``--patience`` epochs without improvement. The test set is touched
  once, at the end.

Recipe: Keras's (784-512-512-10, ReLU, dropout 0.2, batch 128, 20 epochs),
with Adam and a cosine learning-rate decay (``--optimizer rmsprop`` gives
Keras's RMSprop). A checkpoint (model, optimizer, scheduler, epoch, early
stopping state, random generators) is written every epoch with
``nn.training.save_checkpoint``; ``--resume`` finishes an interrupted run
from it exactly as if it had not stopped (``--stop-after N`` interrupts one
on purpose).

    python examples/mlp.py                                   # default data, a minute or two
    MNIST_DIR=/path/to/idx python examples/mlp.py --full     # 20 epochs on MNIST: >= 98.4%
"""
import os

import numpy as np

import _common as C
from _common import F, nn
from nn.optim import lr_scheduler
from nn.training import EarlyStopping, load_checkpoint, save_checkpoint


def build(n_in, hidden=512, dropout=0.2, num_classes=10):
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, num_classes),
    )


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--weight-decay", type=float, default=1e-5, help="L2 penalty (default 1e-5)")
    p.add_argument("--optimizer", choices=["adam", "rmsprop"], default="adam")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--patience", type=int, default=5, help="early stopping patience in epochs")
    p.add_argument("--val-size", type=int, default=5000, help="training images held out for validation")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted run from --out/mlp_checkpoint.npz (same data and options)")
    p.add_argument("--stop-after", type=int, default=None, metavar="N",
                   help="quit after N epochs as if interrupted (to try --resume)")
    args = p.parse_args(argv)
    device = C.setup(args, "MLP 784-512-512-10 with dropout, L2 weight decay and early stopping")
    data = C.load_digits_data(args, n_train=C.pick(args, None, smoke=1200), n_test=C.pick(args, None, smoke=400),
                              synthetic_train=C.pick(args, 12000, smoke=1200))
    hidden = C.pick(args, args.hidden, smoke=64)
    epochs = C.n_epochs(args, default=20 if not data.is_mnist else 6, full=20, smoke=5)
    batch_size = C.pick(args, args.batch_size, smoke=64)

    # hold out a validation set (fixed permutation, so a resumed run sees the same split)
    perm = np.random.default_rng(0).permutation(len(data.y_train))
    n_val = min(args.val_size, len(perm) // 10) if not data.is_mnist else args.val_size
    val_idx, tr_idx = perm[:n_val], perm[n_val:]
    Xtr, ytr = data.X_train[tr_idx], data.y_train[tr_idx]
    Xval, yval = data.X_train[val_idx], data.y_train[val_idx]
    print(f"[data] {len(ytr):,} train / {len(yval):,} validation / {len(data.y_test):,} test")

    model = build(data.n_features, hidden, args.dropout).to(device)
    if args.optimizer == "adam":
        opt = nn.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    else:   # Keras's RMSprop: rho 0.9, epsilon 1e-7
        opt = nn.optim.RMSprop(model.parameters(), lr=args.lr, alpha=0.9, eps=1e-7, weight_decay=args.weight_decay)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    stopper = EarlyStopping(patience=args.patience, mode="max")
    train = C.loader(Xtr, ytr, batch_size, seed=args.seed, device=device)
    ckpt_path = C.out_path(args, "mlp_checkpoint.npz")

    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "epoch_time": []}
    start, stopped_at = 0, None
    if args.resume and os.path.exists(ckpt_path):
        ckpt = load_checkpoint(ckpt_path, model, opt, sched)
        stopper.load_state_dict(ckpt["extra"]["early_stopping"])
        stopper.best_state = {k: v for k, v in ckpt["extra"]["best_state"].items()}
        history = ckpt["extra"]["history"]
        start = ckpt["epoch"] + 1
        epochs = ckpt["extra"]["epochs"]      # finish the interrupted run (its lr schedule is fixed)
        train.generator.bit_generator.state = ckpt["extra"]["loader_rng"]   # the same shuffles from here on
        print(f"[resume] from {ckpt_path}: epoch {start} of {epochs}")
        if stopper.should_stop and start < epochs:
            print("[resume] that run had already stopped early: nothing left to train")
            start = stopped_at = len(history["val_acc"])
            epochs = start

    for epoch in range(start, epochs):
        if args.stop_after is not None and epoch >= args.stop_after:
            print(f"[stop-after] quitting after epoch {epoch} as if interrupted; --resume finishes the run")
            break
        with C.Timer() as t:
            tr_loss, tr_acc = C.train_epoch(model, train, opt, F.cross_entropy, desc=f"epoch {epoch + 1}",
                                            smoke=args.smoke)
        sched.step()
        val_loss, val_acc = C.evaluate(model, Xval, yval, device=device)
        for k, v in zip(history, (tr_loss, tr_acc, val_loss, val_acc, t.seconds)):
            history[k].append(v)
        stop = stopper.step(val_acc, model)
        print(f"epoch {epoch + 1:2d}/{epochs}  train loss {tr_loss:.4f} acc {tr_acc:.4f}  "
              f"val loss {val_loss:.4f} acc {val_acc:.4f}{'  *best' if stopper.improved else ''}  "
              f"({t.seconds:.1f} s)")
        save_checkpoint(ckpt_path, model, opt, sched, epoch=epoch, epochs=epochs, history=history,
                        early_stopping=stopper.state_dict(), best_state=stopper.best_state,
                        loader_rng=train.generator.bit_generator.state)
        if stop and epoch + 1 < epochs:        # (on the last epoch there is nothing left to skip)
            stopped_at = epoch + 1
            print(f"early stopping: no better validation accuracy for {args.patience} epochs")
            break

    stopper.restore(model)            # the weights of the best validation epoch
    test_loss, test_acc = C.evaluate(model, data.X_test, data.y_test, device=device)
    gap = history["train_acc"][stopper.best_epoch] - history["val_acc"][stopper.best_epoch]
    C.report("MLP with dropout, weight decay, early stopping", [
        ("data", data.name),
        ("recipe", f"784-{hidden}-{hidden}-10 ReLU, dropout {args.dropout}, weight decay {args.weight_decay}, "
                   f"{args.optimizer} lr {args.lr} cosine, batch {batch_size}"),
        ("epochs run", f"{len(history['val_acc'])} (stopped early at {stopped_at})" if stopped_at
         else f"{len(history['val_acc'])}"),
        ("best validation", f"{100 * stopper.best:.2f}% at epoch {stopper.best_epoch + 1} (weights restored)"),
        ("test accuracy", f"{100 * test_acc:.2f}%  (Keras mnist_mlp: 98.40%)"),
        ("train - val acc at best", f"{100 * gap:+.2f} points (dropout is on while the train figure is taken)"),
        ("time per epoch", f"{np.mean(history['epoch_time']):.2f} s"),
    ])
    print("lesson: a 2x512 MLP beats softmax regression by ~6 points on MNIST; dropout, L2 and early stopping "
          "on a held-out validation set keep it from memorising (see the train/val curves).")

    def draw(plt):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
        ep = np.arange(1, len(history["val_acc"]) + 1)
        a1.plot(ep, history["train_loss"], label="train"), a1.plot(ep, history["val_loss"], label="validation")
        a1.set_xlabel("epoch"), a1.set_ylabel("cross-entropy"), a1.legend()
        a2.plot(ep, history["train_acc"], label="train (dropout on)"), a2.plot(ep, history["val_acc"], label="validation")
        a2.axvline(stopper.best_epoch + 1, color="gray", ls="--", label="best (restored)")
        a2.set_xlabel("epoch"), a2.set_ylabel("accuracy"), a2.legend()
        fig.suptitle(f"MLP {hidden}x2, dropout {args.dropout}: test accuracy {100 * test_acc:.2f}%")
        return fig
    C.maybe_plot(args, "mlp_curves.png", draw)
    return {"test_acc": test_acc, "best_val_acc": stopper.best, "best_epoch": stopper.best_epoch,
            "epochs_run": len(history["val_acc"]), "stopped_early": stopped_at is not None,
            "history": history, "time_per_epoch": float(np.mean(history["epoch_time"])), "data": data.name,
            "checkpoint": ckpt_path}


if __name__ == "__main__":
    main()
