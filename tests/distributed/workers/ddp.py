"""DistributedDataParallel and DistributedSampler on 2 ranks; compared with one process in
tests/distributed/test_ddp.py. Every rank also computes the one-process reference itself
(the whole batch, float64), so the results hold each rank's largest difference."""
import numpy as np
from _harness import check, finish, raised

import autograd as ag
import autograd.distributed as dist
import nn
import nn.functional as F
from nn.data import DistributedSampler
from nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
RANK, SIZE = dist.get_rank(), dist.get_world_size()
B = 6                                                  # per-rank batch
RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, SIZE * B, 7))                  # 4 steps of the global batch
Y = RNG.integers(0, 3, size=(4, SIZE * B))


def mlp(seed):
    ag.manual_seed(seed)
    return nn.Sequential(nn.Linear(7, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(),
                         nn.Linear(16, 3)).double()


def loss(model, step, part=None):
    rows = slice(None) if part is None else slice(part * B, (part + 1) * B)
    return F.cross_entropy(model(ag.tensor(X[step, rows])), ag.tensor(Y[step, rows]))


def max_diff(a, b):
    return float(max(np.abs(p.array - q.array).max() for p, q in zip(a.parameters(), b.parameters())))


def train_pair(make_opt, steps=3, **ddp_kwargs):
    """k steps of DDP (rank's share of the batch) and of one process (the whole batch)."""
    ref, ddp = mlp(100), DDP(mlp(100 + RANK), bucket_cap_mb=0.001, **ddp_kwargs)   # rank 0's wins
    o_ref, o_ddp = make_opt(ref.parameters()), make_opt(ddp.parameters())
    for step in range(steps):
        for model, opt, part in ((ref, o_ref, None), (ddp, o_ddp, RANK)):
            opt.zero_grad()
            loss(model, step, part).backward()
            opt.step()
    return max_diff(ref, ddp.module), ddp


@check
def construction_broadcasts_rank0():
    ddp = DDP(mlp(100 + RANK))
    mine = np.concatenate([p.array.ravel() for p in ddp.parameters()])
    reference = mlp(100)                               # what rank 0 built
    return {"vs_rank0": max_diff(reference, ddp.module),
            "keys": list(ddp.module.state_dict()) == list(mlp(0).state_dict()),
            "prefixed": all(k.startswith("module.") for k in ddp.state_dict()),
            "sum": float(mine.sum())}


def aliases_buckets(ddp):
    """Whether the gradients share memory with the buffers the next all-reduces write."""
    return any(np.shares_memory(p.grad.array, b.flat) for p in ddp.module.parameters()
               for b in ddp.reducer.buckets)


@check
def sgd_equals_one_process():
    diff, ddp = train_pair(lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3))
    return {"diff": diff, "grads_alias_buckets": aliases_buckets(ddp)}


@check
def adam_equals_one_process():
    return train_pair(lambda p: nn.optim.Adam(p, lr=0.01))[0]


@check
def bucket_view_equals_one_process():
    diff, ddp = train_pair(lambda p: nn.optim.Adam(p, lr=0.01), gradient_as_bucket_view=True)
    return {"diff": diff, "grads_alias_buckets": aliases_buckets(ddp)}


@check
def no_sync_accumulates_then_averages():
    ref, ddp = mlp(0), DDP(mlp(0))
    o_ref, o_ddp = nn.optim.SGD(ref.parameters(), lr=0.1), nn.optim.SGD(ddp.parameters(), lr=0.1)
    with ddp.no_sync():
        loss(ddp, 0, RANK).backward()                  # local only
    local = np.concatenate([p.grad.array.ravel() for p in ddp.parameters()])
    others = np.stack([np.asarray(x) for x in __import__("mpi4py.MPI").MPI.COMM_WORLD.allgather(local)])
    loss(ddp, 1, RANK).backward()                      # averages both micro-batches' gradients
    o_ddp.step()
    loss(ref, 0).backward()
    loss(ref, 1).backward()
    o_ref.step()
    return {"diff": max_diff(ref, ddp.module),
            "local_grads_differ": float(np.abs(others[0] - others[1]).max())}


class Deep(nn.Module):
    """Five layers; records, when backward reaches the first layer's output, how many
    bucket all-reduces have already started."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(7 if i == 0 else 32, 32) for i in range(5)])
        self.head = nn.Linear(32, 3)
        self.started_at_first_layer = None

    def forward(self, x):
        h = self.layers[0](x)
        if h.requires_grad:
            h.register_hook(self._record)
        for layer in self.layers[1:]:
            h = layer(h.tanh())
        return self.head(h.tanh())

    def _record(self, grad):
        self.started_at_first_layer = len(self.reducer.started)


@check
def buckets_fire_in_order_during_backward():
    model = Deep().double()
    ddp = DDP(model, bucket_cap_mb=0.004)             # ~ one Linear(32, 32) per bucket
    model.reducer = ddp.reducer
    seen = []
    for step in range(3):                              # the 2nd and 3rd use the rebuilt buckets
        ddp.zero_grad()
        loss(ddp, step, RANK).backward()
        seen.append({"started": ddp.reducer.started, "at_first_layer": model.started_at_first_layer,
                     "buckets": [b.indices for b in ddp.reducer.buckets]})
    names = [n for n, _ in model.named_parameters()]
    return {"steps": seen, "names": names}


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk, self.a, self.b = nn.Linear(7, 8), nn.Linear(8, 3), nn.Linear(8, 3)

    def forward(self, x, use_b):
        h = self.trunk(x).tanh()
        return self.b(h) if use_b else self.a(h)


@check
def unused_parameters():
    strict = DDP(Branchy().double())
    error = raised(lambda: F.cross_entropy(strict(ag.tensor(X[0, :B]), False), ag.tensor(Y[0, :B])).backward())
    ddp = DDP(Branchy().double(), find_unused_parameters=True)
    ref = Branchy().double()
    ref.load_state_dict(ddp.module.state_dict())
    # rank 1 uses branch b, rank 0 branch a: each branch's gradient is its rank's / 2
    F.cross_entropy(ddp(ag.tensor(X[0, RANK * B:(RANK + 1) * B]), RANK == 1),
                    ag.tensor(Y[0, RANK * B:(RANK + 1) * B])).backward()
    grads = {n: None if p.grad is None else p.grad.array.tolist() for n, p in ddp.module.named_parameters()}
    for part, use_b in ((0, False), (1, True)):
        (F.cross_entropy(ref(ag.tensor(X[0, part * B:(part + 1) * B]), use_b),
                         ag.tensor(Y[0, part * B:(part + 1) * B])) / 2).backward()
    diff = max(float(np.abs(np.asarray(grads[n]) - p.grad.array).max())
               for n, p in ref.named_parameters())
    return {"error": error, "diff": diff, "none": [n for n, g in grads.items() if g is None]}


@check
def sampler_shares():
    out = {}
    for n, drop_last in ((12, False), (13, False), (13, True)):
        s = DistributedSampler(range(n), seed=3, drop_last=drop_last)
        s.set_epoch(2)
        out[f"{n} {drop_last}"] = {"indices": list(s), "len": len(s), "total": s.total_size}
    return out


finish()
