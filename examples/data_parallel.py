"""Data-parallel training on N processes: DistributedDataParallel over MPI (or NCCL).

The lesson (PyTorch's DDP; Li et al., "PyTorch Distributed", VLDB 2020): each
rank holds the whole model and trains on its own share of every batch; after
backward the gradients are averaged across ranks, so every rank takes the same
step. Done right this is the *same computation* as one process on the whole
batch: the run below ends where the single-process run ends, for any number of
ranks (to float32 rounding, whose differences grow over a long run; with
``--double`` the parameters agree to ~1e-12).

* ``DistributedSampler`` gives rank r the indices r, r+N, r+2N, ... of each
  epoch's shuffled order, so the N ranks' batches of size B together are
  exactly the 1-process batch of size N*B (``--batch-size`` is that global
  batch);
* ``DistributedDataParallel`` packs gradients into buckets in the order
  backward produces them and starts each bucket's all-reduce as soon as it is
  full, while backward goes on; the step waits only for what is still in
  flight ("all-reduce share" below: that wait, as a share of the step).

    mpiexec -n 2 python examples/data_parallel.py                # 2 ranks on CPUs (MPI)
    python examples/data_parallel.py                             # 1 process: the same accuracy
    mpiexec -n 4 -f hosts python examples/data_parallel.py       # a cluster (MPICH hostfile)
    mpiexec -n 2 python examples/data_parallel.py --backend nccl # 2 GPUs (one per rank)
"""
import os
import sys
import time

import numpy as np

import _common as C
from _common import F, ag, nn


def build(model, shape, num_classes=10):
    c, h, w = shape
    if model == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, 256), nn.ReLU(),
                             nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, num_classes))
    return nn.Sequential(nn.Conv2d(c, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(32 * (h // 4) * (w // 4), num_classes))


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--backend", choices=["mpi", "nccl"], default="mpi",
                   help="mpi: CPU tensors over MPI; nccl: one GPU per rank (default: mpi)")
    p.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    p.add_argument("--batch-size", type=int, default=128, help="global batch (split across ranks)")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--double", action="store_true",
                   help="train in float64: N ranks and 1 process then agree to ~1e-12, not float32's ~1e-6")
    args = p.parse_args(argv)
    import autograd.distributed as dist
    dist.init_process_group(args.backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.backend == "nccl":
        args.device = f"cuda:{dist.get_node_local_rank()}"
    if rank != 0:
        sys.stdout = open(os.devnull, "w")      # one rank speaks
    device = C.setup(args, f"Data-parallel training on {world} rank(s) ({args.backend})")
    data = C.load_digits_data(args, n_train=C.pick(args, None, smoke=512), n_test=C.pick(args, None, smoke=256),
                              synthetic_train=C.pick(args, 12000, smoke=512))
    epochs = C.n_epochs(args, default=3, full=10, smoke=3)
    if C.pick(args, args.batch_size, smoke=64) % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the {world} ranks")
    local_batch = C.pick(args, args.batch_size, smoke=64) // world

    C.seed_everything(args.seed)
    dtype = np.float64 if args.double else np.float32
    model = build(args.model, data.X_train.shape[1:]).to(device)
    model = nn.parallel.DistributedDataParallel(model.double() if args.double else model)
    opt = nn.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    Xtr, ytr = C.to_tensors(device, data.X_train.astype(dtype), data.y_train)
    train = nn.data.TensorDataset(Xtr, ytr)
    sampler = nn.data.DistributedSampler(train, seed=args.seed, drop_last=True)
    loader = nn.data.DataLoader(train, batch_size=local_batch, sampler=sampler, drop_last=True)
    X_test = data.X_test.astype(dtype)
    _, init_acc = C.evaluate(model.module, X_test, data.y_test, device=device)

    step_times, samples = [], 0
    for epoch in range(epochs):
        sampler.set_epoch(epoch)                  # a new shuffle, the same on every rank
        model.train()
        for xb, yb in loader:
            t0 = time.perf_counter()
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()   # returns once the gradients are averaged
            opt.step()
            step_times.append(time.perf_counter() - t0)
            samples += yb.shape[0]
        loss, acc = C.evaluate(model.module, X_test, data.y_test, device=device)
        if rank == 0:
            print(f"epoch {epoch + 1}/{epochs}  test loss {loss:.4f}  acc {acc:.4f}")

    seconds = sum(step_times)
    mine = ag.tensor([samples / seconds, 1e3 * np.median(step_times), model.reducer.wait_seconds / seconds],
                     dtype=ag.float64)
    everyone = [ag.zeros(3, dtype=ag.float64) for _ in range(world)]
    dist.all_gather(everyone, mine)              # every rank's figures, for rank 0 to print
    everyone = [dict(zip(("samples_per_s", "step_ms", "allreduce_share"), t.tolist())) for t in everyone]
    print("\nrank  samples/s  step (ms, median)  all-reduce wait / step")
    for r, e in enumerate(everyone):
        print(f"{r:4d}  {e['samples_per_s']:9.0f}  {e['step_ms']:17.2f}  {e['allreduce_share']:22.1%}")
    checksum = float(sum(np.abs(p.array.astype(np.float64)).sum() for p in model.module.parameters()))
    print(f"final test accuracy {acc:.4f} (from {init_acc:.4f}); parameters' L1 norm {checksum:.9g}\n"
          "the single-process run (python examples/data_parallel.py, same options) ends the same")
    dist.destroy_process_group()
    return {"world": world, "rank": rank, "init_acc": init_acc, "final_acc": acc, "final_loss": loss,
            "ranks": everyone, "steps": len(step_times), "param_checksum": checksum}


if __name__ == "__main__":
    main()
