"""The gradient reducer behind DistributedDataParallel: buckets, hooks, overlap.

As PyTorch's Reducer: parameters are packed into buckets of about
`bucket_cap_mb` (the first one 1 MiB, so communication starts early), first in
reverse registration order (roughly the order backward produces gradients),
then, after the first iteration, in the order gradients really arrived (rank
0's order, broadcast so every rank builds the same buckets). A post-accumulate
hook on each parameter copies its gradient, scaled by 1/world, into its slot of
the bucket's flat buffer; when a bucket's last gradient arrives, its
non-blocking all-reduce starts while backward goes on. Buckets start in index
order on every rank (MPI needs every rank to issue collectives in one order).
At the end of backward (an engine callback) every all-reduce is waited for and
the averaged gradients are written back into `.grad`, before any optimizer
step can run.
"""
import time

import numpy as np

import autograd as ag
import autograd.distributed as dist
from autograd.engine import queue_callback

FIRST_BUCKET_BYTES = 1 << 20            # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES


class _Bucket:
    def __init__(self, indices, params):
        self.indices = indices
        sizes = [params[i].array.size for i in indices]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        first = params[indices[0]]
        self.xp = first._backend.xp
        self.flat = self.xp.zeros(self.offsets[-1], dtype=first.dtype)
        self.tensor = ag.as_tensor(self.flat)
        self.pending, self.work = len(indices), None

    def renew(self):
        self.flat = self.xp.empty_like(self.flat)
        self.tensor = ag.as_tensor(self.flat)


def assign_buckets(params, order, cap_bytes):
    """Lists of parameter indices, in `order`, closed once they reach the cap; one open
    bucket per (dtype, device), as a bucket is one flat buffer."""
    done, open_ = [], {}
    for i in order:
        p = params[i]
        key = (str(p.dtype), p.device)
        members, size, cap = open_.get(key, ([], 0, min(FIRST_BUCKET_BYTES, cap_bytes)))
        members.append(i)
        size += p.array.nbytes
        if size >= cap:
            done.append(members)
            members, size, cap = [], 0, cap_bytes
        open_[key] = (members, size, cap)
    return done + [m for m, _, _ in open_.values() if m]


class Reducer:
    def __init__(self, params, cap_bytes, find_unused, as_view):
        self.params, self.cap_bytes = params, cap_bytes
        self.find_unused, self.as_view = find_unused, as_view
        self.world = dist.get_world_size()
        self.scale = 1.0 / self.world
        self.sync = True                 # False inside no_sync()
        self.started = []                # (bucket index, True if backward was still running)
        self.order, self.rebuilt = [], False
        self.active = False
        self.wait_seconds = 0.0          # time backward's end spent waiting for all-reduces
        self.build(assign_buckets(params, range(len(params) - 1, -1, -1), cap_bytes))
        self.handles = [p.register_post_accumulate_grad_hook(self.hook(i))
                        for i, p in enumerate(params)]

    def build(self, groups):
        self.buckets = [_Bucket(g, self.params) for g in groups]
        self.where = {}
        for b, bucket in enumerate(self.buckets):
            for k, i in enumerate(bucket.indices):
                self.where[i] = (b, k)
        self.next = self.flying = 0    # buckets launched; the first not known complete

    def hook(self, i):
        def ready(param):
            if not self.sync:
                return                   # no_sync(): gradients accumulate locally
            if not self.active:
                self.active, self.started = True, []
                queue_callback(self.finish)
            self.mark_ready(i, param)
        return ready

    def mark_ready(self, i, param):
        b, k = self.where[i]
        bucket = self.buckets[b]
        lo, hi = bucket.offsets[k], bucket.offsets[k + 1]
        xp = param._backend.xp
        xp.multiply(param.grad.array.reshape(-1), self.scale, out=bucket.flat[lo:hi])
        self.order.append(i)
        bucket.pending -= 1
        if bucket.pending == 0:
            self.launch_ready(during_backward=True)
        self.poke()

    def poke(self):
        """Test the all-reduces in flight, oldest first. MPI moves a non-blocking collective
        along only inside MPI calls, and a gradient hook is where backward hands control
        back; a polling thread would take a core from backward where ranks have none spare."""
        while self.flying < self.next and self.buckets[self.flying].work.is_completed():
            self.flying += 1

    def launch_ready(self, during_backward):
        while self.next < len(self.buckets) and self.buckets[self.next].pending == 0:
            bucket = self.buckets[self.next]
            bucket.work = dist.all_reduce(bucket.tensor, async_op=True)
            self.started.append((self.next, during_backward))
            self.next += 1

    def finish(self):
        """End of backward: reduce what is left, wait, write the averages into `.grad`."""
        self.active = False
        seen = set(self.order)
        missing = [i for b in self.buckets[self.next:] for i in b.indices if i not in seen]
        if self.find_unused:
            used = np.zeros(len(self.params), dtype=np.uint8)
            used[self.order] = 1
            dist.all_reduce(ag.as_tensor(used), op=dist.ReduceOp.MAX)
            for i in missing:                # locally unused: contributes zeros
                b, k = self.where[i]
                bucket = self.buckets[b]
                bucket.flat[bucket.offsets[k]:bucket.offsets[k + 1]] = 0
                bucket.pending -= 1
        elif missing:
            for bucket in self.buckets[:self.next]:       # every rank leaves in step
                bucket.work.wait()
            self.reset()
            names = ", ".join(f"{i} {tuple(self.params[i].shape)}" for i in missing[:8])
            raise RuntimeError(
                "DistributedDataParallel: parameters received no gradient in this backward "
                f"(indices and shapes: {names}), so their buckets cannot be reduced. Pass "
                "find_unused_parameters=True if some parameters do not take part in the loss, "
                "or remove them from the module")
        self.launch_ready(during_backward=False)
        start = time.perf_counter()
        for bucket in self.buckets:
            bucket.work.wait()
        self.wait_seconds += time.perf_counter() - start
        for bucket in self.buckets:
            self.write_back(bucket, None if not self.find_unused else used)
        if not self.rebuilt:
            self.rebuild()
        self.reset()

    def write_back(self, bucket, used):
        """The averages become the gradients as views of the bucket's buffer, which (unless
        gradient_as_bucket_view) is handed over whole and replaced by a fresh one for the
        next iteration: no copy back, and no gradient aliases the next all-reduce."""
        for k, i in enumerate(bucket.indices):
            p = self.params[i]
            if p.grad is None and (used is None or not used[i]):
                continue                     # unused everywhere: .grad stays None, as PyTorch
            lo, hi = bucket.offsets[k], bucket.offsets[k + 1]
            p.grad = ag.as_tensor(bucket.flat[lo:hi].reshape(p.shape))
        if not self.as_view:
            bucket.renew()

    def rebuild(self):
        """After the first iteration: buckets in the order gradients arrived (rank 0's)."""
        self.rebuilt = True
        seen = set(self.order)
        order = np.array(self.order + [i for i in range(len(self.params)) if i not in seen],
                         dtype=np.int64)
        dist.broadcast(ag.as_tensor(order), src=0)
        groups = assign_buckets(self.params, order.tolist(), self.cap_bytes)
        if groups != [b.indices for b in self.buckets]:
            self.build(groups)

    def reset(self):
        for bucket in self.buckets:
            bucket.pending, bucket.work = len(bucket.indices), None
        self.next, self.flying, self.order, self.active = 0, 0, [], False

    def remove_hooks(self):
        for h in self.handles:
            h.remove()
