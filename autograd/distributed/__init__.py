"""torch.distributed's collectives, on MPI (CPU tensors) and NCCL (GPU tensors).

    import autograd.distributed as dist
    dist.init_process_group(backend="mpi")          # under mpiexec -n N python train.py
    dist.all_reduce(t, op=dist.ReduceOp.SUM)        # in place, on every rank
    work = dist.all_reduce(t, async_op=True); ...; work.wait()

Rank and world size come from the MPI launcher. The process group always holds
an MPI communicator (mpi4py: CPU tensors go to MPI as buffers, never pickled);
with backend="nccl" it also holds a NCCL one (CuPy), which GPU tensors go to, on
the current stream. The communicators are in `backends.py`, one interface.

Checks cost one small metadata exchange: the first call of each collective
compares shapes, dtypes and roots across ranks, and raises the same clear error
on every rank when they differ (instead of a hang or garbage); with the
environment variable TAPEGRAD_DISTRIBUTED_DEBUG=DETAIL every call is checked.
After init, an uncaught exception on any rank aborts the whole job
(MPI_Abort), so the other ranks never wait forever in a collective.
"""
import enum
import importlib.util
import os
import sys

from . import backends as _backends

__all__ = ['ReduceOp', 'Work', 'init_process_group', 'destroy_process_group', 'is_initialized',
           'is_available', 'is_mpi_available', 'is_nccl_available', 'get_rank',
           'get_world_size', 'get_node_local_rank', 'get_backend', 'all_reduce', 'broadcast',
           'all_gather', 'reduce', 'barrier']


class ReduceOp(enum.Enum):
    SUM = 'sum'
    PRODUCT = 'prod'
    MIN = 'min'
    MAX = 'max'
    AVG = 'avg'          # a SUM divided by the world size (floating tensors only)


class Work:
    """The handle an `async_op=True` collective returns: `wait()` blocks until the result is
    in the tensor; `is_completed()` asks without blocking."""

    def __init__(self, request, finish=None):
        self._request, self._finish, self._done = request, finish, False

    def is_completed(self):
        return self._done or bool(self._request.Test())

    def wait(self, timeout=None):
        if not self._done:
            self._request.Wait()
            self._done = True
            if self._finish is not None:
                self._finish()
        return True


class _Group:
    def __init__(self, backend, mpi, nccl):
        self.backend, self.mpi, self.nccl = backend, mpi, nccl
        self.rank, self.size = mpi.rank, mpi.size
        self.checked = set()
        self.debug = os.environ.get('TAPEGRAD_DISTRIBUTED_DEBUG', '').upper() == 'DETAIL'
        self.excepthook = None


_world = None


def is_available():
    """True when mpi4py is installed (looked up, not imported)."""
    return importlib.util.find_spec('mpi4py') is not None


def is_mpi_available():
    return is_available()


def is_nccl_available():
    return importlib.util.find_spec('cupy') is not None and is_available()


def is_initialized():
    return _world is not None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name='', pg_options=None, device_id=None):
    """Join the job started by `mpiexec -n N`: backend "mpi" (default) or "nccl".

    `world_size` and `rank`, when given, must agree with the launcher's."""
    global _world
    if _world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    backend = 'mpi' if backend is None else str(backend).lower()
    if backend not in ('mpi', 'nccl'):
        raise ValueError(f"init_process_group: backend={backend!r} is not supported; use "
                         "'mpi' (CPU tensors, mpi4py) or 'nccl' (GPU tensors, CuPy's NCCL)")
    mpi = _backends.mpi_world('init_process_group')
    for name, given, actual in (('world_size', world_size, mpi.size), ('rank', rank, mpi.rank)):
        if given not in (-1, None) and given != actual:
            raise ValueError(f"init_process_group: {name}={given} but the MPI launcher says "
                             f"{actual}; leave it out (mpiexec -n N sets both)")
    nccl = _backends.nccl_world(mpi, 'init_process_group') if backend == 'nccl' else None
    _world = _Group(backend, mpi, nccl)
    _world.local_rank = mpi.local_rank()
    if mpi.size > 1:
        _world.excepthook = sys.excepthook
        sys.excepthook = _abort_on_exception


def _abort_on_exception(kind, value, traceback):
    """One rank's uncaught exception ends the job: print it, then MPI_Abort every rank."""
    group = _world
    (group.excepthook if group is not None else sys.__excepthook__)(kind, value, traceback)
    if group is not None:
        sys.stderr.write(f"[rank {group.rank}] uncaught {kind.__name__}: aborting all "
                         f"{group.size} ranks\n")
        sys.stderr.flush()
        group.mpi.abort(1)


def destroy_process_group(group=None):
    global _world
    world = _get('destroy_process_group')
    if world.excepthook is not None and sys.excepthook is _abort_on_exception:
        sys.excepthook = world.excepthook
    _world = None


def _get(caller):
    if _world is None:
        raise ValueError(f"{caller}: Default process group has not been initialized, please make "
                         "sure to call init_process_group.")
    return _world


def get_rank(group=None):
    return _get('get_rank').rank


def get_world_size(group=None):
    return _get('get_world_size').size


def get_node_local_rank(fallback_rank=None):
    """This process's rank among the ranks on its machine (which GPU it takes with 'nccl')."""
    if _world is None and fallback_rank is not None:
        return fallback_rank
    return _get('get_node_local_rank').local_rank


def get_backend(group=None):
    return _get('get_backend').backend


# --- collectives -------------------------------------------------------------------------


def _comm(world, caller, tensor):
    if tensor._backend.is_gpu:
        if world.nccl is None:
            raise RuntimeError(f"{caller}: the tensor is on {tensor.device}, but the process group "
                               "was initialised with backend='mpi', which takes CPU tensors; use "
                               "init_process_group(backend='nccl') for GPU tensors")
        return world.nccl
    return world.mpi


def _check(world, caller, tensors, **extra):
    """On a collective's first call (every call in DETAIL mode): the same shapes, dtypes and
    arguments on every rank, else the same clear error everywhere."""
    if caller in world.checked and not world.debug:
        return
    world.checked.add(caller)
    mine = ([(tuple(t.shape), str(t.dtype)) for t in tensors], sorted(extra.items()))
    everyone = world.mpi.allgather_object(mine)
    if any(other != mine for other in everyone):
        lines = "; ".join(f"rank {r}: " + ", ".join(f"{s} {d}" for s, d in t)
                          + "".join(f", {k}={v}" for k, v in e)
                          for r, (t, e) in enumerate(everyone))
        raise RuntimeError(f"{caller}: the ranks disagree ({lines}); every rank must pass tensors "
                           "of the same shape and dtype, and the same arguments, in the same order")


def _start(caller, tensor, async_op, launch, after=None, changes=True):
    """Run `launch(comm, buf, blocking)` on a contiguous buffer of the tensor, then apply
    `after(buf)`, write back and bump the tensor's version (when the collective `changes`
    it): now, or at Work.wait() for async_op (MPI's non-blocking collective then)."""
    world = _get(caller)
    comm = _comm(world, caller, tensor)
    array = tensor.array
    buf = array if array.flags.c_contiguous else tensor._backend.xp.ascontiguousarray(array)

    def finish():
        if after is not None:
            after(buf)
        if changes:
            if buf is not array:
                array[...] = buf
            tensor._bump_version()
    work = Work(launch(comm, buf, not async_op), finish)
    if async_op:
        return work
    work.wait()
    return None


def _reduction(caller, tensor, op, size):
    op = ReduceOp(op)
    if op is ReduceOp.AVG:
        if tensor.dtype.kind not in 'fc':
            raise TypeError(f"{caller}: ReduceOp.AVG needs a floating tensor, got {tensor.dtype}; "
                            "use ReduceOp.SUM and divide, or convert with .float()")
        return 'sum', lambda buf: buf.__itruediv__(size)
    return op.value, None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `tensor` across all ranks, in place on every rank."""
    world = _get('all_reduce')
    name, after = _reduction('all_reduce', tensor, op, world.size)
    _check(world, 'all_reduce', [tensor], op=name)
    return _start('all_reduce', tensor, async_op,
                  lambda c, buf, blocking: c.allreduce(buf, name, blocking), after)


def reduce(tensor, dst=0, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `tensor` across all ranks into rank `dst`'s tensor (the others' stay as they were)."""
    world = _get('reduce')
    _root('reduce', 'dst', dst, world)
    name, after = _reduction('reduce', tensor, op, world.size)
    _check(world, 'reduce', [tensor], op=name, dst=dst)
    after = after if world.rank == dst else None
    return _start('reduce', tensor, async_op,
                  lambda c, buf, blocking: c.reduce(buf, name, dst, blocking), after)


def broadcast(tensor, src=0, group=None, async_op=False):
    """Copy rank `src`'s tensor into every rank's."""
    world = _get('broadcast')
    _root('broadcast', 'src', src, world)
    _check(world, 'broadcast', [tensor], src=src)
    return _start('broadcast', tensor, async_op,
                  lambda c, buf, blocking: c.broadcast(buf, src, blocking))


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """`tensor_list[r]` receives rank r's `tensor`, on every rank."""
    world = _get('all_gather')
    tensor_list = list(tensor_list)
    if len(tensor_list) != world.size:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors; it needs one "
                         f"per rank ({world.size})")
    for i, t in enumerate(tensor_list):
        if t.shape != tensor.shape or t.dtype != tensor.dtype or t.device != tensor.device:
            raise ValueError(f"all_gather: tensor_list[{i}] is {t.shape} {t.dtype} on {t.device} "
                             f"but the tensor sent is {tensor.shape} {tensor.dtype} on "
                             f"{tensor.device}; they must match")
    _check(world, 'all_gather', [tensor])
    xp = tensor._backend.xp
    recv = xp.empty((world.size,) + tuple(tensor.shape), dtype=tensor.dtype)

    def scatter(_):
        for t, part in zip(tensor_list, recv):
            t.array[...] = part
            t._bump_version()
    return _start('all_gather', tensor, async_op,
                  lambda c, buf, blocking: c.allgather(buf, recv, blocking), scatter, changes=False)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank has reached this point."""
    world = _get('barrier')
    comm = world.nccl if world.nccl is not None else world.mpi
    work = Work(comm.barrier(not async_op))
    if async_op:
        return work
    work.wait()
    return None


def _root(caller, name, value, world):
    if not isinstance(value, int) or not 0 <= value < world.size:
        raise ValueError(f"{caller}: {name}={value!r} is not a rank of this world (0 to "
                         f"{world.size - 1})")
