"""DistributedDataParallel: PyTorch's DDP on autograd.distributed.

    dist.init_process_group("mpi")                     # under mpiexec -n N
    model = nn.parallel.DistributedDataParallel(model)
    loss_fn(model(x), y).backward()                    # gradients averaged across ranks
    opt.step()

Every rank holds a replica; construction checks that the replicas have the same
parameters and copies rank 0's parameters and buffers to all. Backward averages
the gradients across ranks, in buckets whose all-reduces overlap the rest of
backward (see _reducer.py), so N ranks with batch B take the same steps as one
process with batch N*B.
"""
import contextlib

import autograd as ag
import autograd.distributed as dist

from ..module import Module
from ._reducer import Reducer


class DistributedDataParallel(Module):
    """Wrap `module` for data-parallel training; `.module` is the model itself."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=25, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        world = dist._get("DistributedDataParallel")
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be an nn.Module, got "
                            f"{type(module).__name__}")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        devices = {p.device for p in params}
        if device_ids is not None and (len(device_ids) != 1 or len(devices) != 1 or
                                       _device(device_ids[0]) != next(iter(devices))):
            raise ValueError(f"DistributedDataParallel: device_ids={device_ids!r} but the module's "
                             f"parameters are on {sorted(devices)}; pass None or the one device "
                             "the module is on (move it there first with .to(device))")
        if bucket_cap_mb is None:
            bucket_cap_mb = 25
        if bucket_cap_mb <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb={bucket_cap_mb} must be > 0")
        self.module = module
        self.device_ids, self.dim = device_ids, dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.bucket_bytes_cap = int(bucket_cap_mb * 1024 * 1024)
        self.require_backward_grad_sync = True
        self._verify_replicas(world, module)
        for t in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(t, src=0)
        self.reducer = Reducer(params, self.bucket_bytes_cap, find_unused_parameters,
                               gradient_as_bucket_view)

    @staticmethod
    def _verify_replicas(world, module):
        mine = [(name, tuple(t.shape), str(t.dtype)) for name, t in
                list(module.named_parameters()) + list(module.named_buffers())]
        everyone = world.mpi.allgather_object(mine)
        for rank, theirs in enumerate(everyone):
            if theirs != mine:
                diff = next((a, b) for a, b in zip(mine + [None] * len(theirs),
                                                   theirs + [None] * len(mine)) if a != b)
                raise RuntimeError(f"DistributedDataParallel: rank {world.rank}'s model differs "
                                   f"from rank {rank}'s (here {diff[0]}, there {diff[1]}); every "
                                   "rank must build the same model")

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.require_backward_grad_sync and ag.is_grad_enabled():
            for b in self.module.buffers():          # rank 0's running statistics, as PyTorch
                dist.broadcast(b, src=0)
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Gradients accumulate locally inside; the first backward outside averages them all."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = self.reducer.sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = self.reducer.sync = old

    def extra_repr(self):
        return (f"world_size={dist.get_world_size()}, buckets={len(self.reducer.buckets)}, "
                f"bucket_cap_mb={self.bucket_bytes_cap / 2**20:g}")


def _device(d):
    if isinstance(d, int):
        return f"cuda:{d}"
    d = str(d)
    return "cuda:0" if d == "cuda" else d
