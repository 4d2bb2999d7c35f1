"""The two transports behind autograd.distributed, one interface.

Each communicator works on contiguous raw arrays of its own device and returns a
request with `Wait()` and `Test()` (MPI's names):

    allreduce(buf, op)            in place; op is 'sum', 'prod', 'max' or 'min'
    broadcast(buf, root)          in place
    allgather(send, recv)         recv has shape (size, *send.shape)
    reduce(buf, op, root)         in place on root; other ranks' buf is left alone
    barrier()
    (each takes blocking=True for a synchronous call: MPI's blocking collective)
    allgather_object(obj)         small Python objects (metadata checks, ids): pickled

`MpiComm` hands NumPy arrays to mpi4py as buffers (no pickling of arrays), with
MPI's non-blocking collectives. `NcclComm` hands CuPy arrays' device pointers to
NCCL on the current stream; its objects and barrier go through the MPI
communicator it was built with (which also carried NCCL's unique id). The NCCL
code is written against the `nccl` module and communicator passed in, so the
tests run it on the CPU against a fake of both.

mpi4py and CuPy are imported here, on first use only (`import autograd` never
imports them).
"""
import importlib

_INSTALL = 'pip install -e ".[dist]"  (mpi4py and mpich from PyPI)'


def import_mpi(caller):
    """mpi4py's MPI module, or an ImportError that says which extra to install."""
    try:
        return importlib.import_module('mpi4py.MPI')
    except ImportError as e:
        raise ImportError(f"{caller}: the MPI backend needs mpi4py and an MPI library, which are "
                          f"not installed ({e}). Install the [dist] extra: {_INSTALL}") from e


def import_nccl(caller):
    try:
        cupy = importlib.import_module('cupy')
        return cupy, importlib.import_module('cupy.cuda.nccl')
    except ImportError as e:
        raise ImportError(f"{caller}: backend='nccl' needs CuPy built with NCCL ({e}). Install "
                          'the [dist] and [gpu] extras: pip install -e ".[dist,gpu]" on a '
                          "machine with NVIDIA GPUs") from e


class Done:
    """The request of an operation that is already complete (or ordered on a stream)."""

    def Wait(self):
        return None

    def Test(self):
        return True


class MpiComm:
    """Collectives of mpi4py on NumPy buffers: blocking ones for synchronous calls, MPI-3's
    non-blocking ones for async_op. MPICH moves a non-blocking collective along only inside
    MPI calls (its Test, Wait or any other); DistributedDataParallel tests its all-reduces
    from its gradient hooks. No thread polls them: on a machine with a core per rank, a
    polling thread (or MPICH's MPIR_CVAR_ASYNC_PROGRESS=1) takes time from backward, and
    the reduction's copies and sums cost the same CPU time in any thread."""

    def __init__(self, comm, MPI):
        self.comm, self.MPI = comm, MPI
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.ops = {'sum': MPI.SUM, 'prod': MPI.PROD, 'max': MPI.MAX, 'min': MPI.MIN}

    def allreduce(self, buf, op, blocking=False):
        if blocking:
            return self._done(self.comm.Allreduce(self.MPI.IN_PLACE, buf, self.ops[op]))
        return self.comm.Iallreduce(self.MPI.IN_PLACE, buf, self.ops[op])

    def broadcast(self, buf, root, blocking=False):
        if blocking:
            return self._done(self.comm.Bcast(buf, root))
        return self.comm.Ibcast(buf, root)

    def allgather(self, send, recv, blocking=False):
        if blocking:
            return self._done(self.comm.Allgather(send, recv))
        return self.comm.Iallgather(send, recv)

    def reduce(self, buf, op, root, blocking=False):
        send, recv = (self.MPI.IN_PLACE, buf) if self.rank == root else (buf, None)
        if blocking:
            return self._done(self.comm.Reduce(send, recv, self.ops[op], root))
        return self.comm.Ireduce(send, recv, self.ops[op], root)

    def barrier(self, blocking=False):
        if blocking:
            return self._done(self.comm.Barrier())
        return self.comm.Ibarrier()

    @staticmethod
    def _done(_):
        return Done()

    def allgather_object(self, obj):
        return self.comm.allgather(obj)

    def abort(self, code=1):
        self.comm.Abort(code)

    def local_rank(self):
        """Rank among the ranks that share this machine's memory."""
        local = self.comm.Split_type(self.MPI.COMM_TYPE_SHARED)
        rank = local.Get_rank()
        local.Free()
        return rank


class NcclComm:
    """NCCL's collectives on device pointers, enqueued on the current stream.

    `comm` is a `cupy.cuda.nccl.NcclCommunicator`, `nccl` the module with NCCL's
    constants, `meta` an `MpiComm` for objects and the barrier, `stream()` returns
    the current stream's handle, `ptr(array)` an array's device pointer and `sync()` waits
    for the stream.
    """

    def __init__(self, comm, nccl, meta, stream, ptr, sync):
        self.comm, self.nccl, self.meta = comm, nccl, meta
        self.rank, self.size = meta.rank, meta.size
        self.stream, self.ptr, self.sync = stream, ptr, sync
        self.ops = {'sum': nccl.NCCL_SUM, 'prod': nccl.NCCL_PROD,
                    'max': nccl.NCCL_MAX, 'min': nccl.NCCL_MIN}

    def dtype(self, array):
        name = {'f2': 'FLOAT16', 'f4': 'FLOAT32', 'f8': 'FLOAT64', 'i1': 'INT8', 'u1': 'UINT8',
                'i4': 'INT32', 'u4': 'UINT32', 'i8': 'INT64', 'u8': 'UINT64',
                'b1': 'UINT8'}.get(array.dtype.str[1:])
        if name is None:
            raise TypeError(f"backend 'nccl': NCCL has no type for {array.dtype}; use a float or "
                            "integer tensor")
        return getattr(self.nccl, 'NCCL_' + name)

    def allreduce(self, buf, op, blocking=False):
        p = self.ptr(buf)
        self.comm.allReduce(p, p, buf.size, self.dtype(buf), self.ops[op], self.stream())
        return Done()

    def broadcast(self, buf, root, blocking=False):
        self.comm.bcast(self.ptr(buf), buf.size, self.dtype(buf), root, self.stream())
        return Done()

    def allgather(self, send, recv, blocking=False):
        self.comm.allGather(self.ptr(send), self.ptr(recv), send.size, self.dtype(send),
                            self.stream())
        return Done()

    def reduce(self, buf, op, root, blocking=False):
        p = self.ptr(buf)
        self.comm.reduce(p, p, buf.size, self.dtype(buf), self.ops[op], root, self.stream())
        return Done()

    def barrier(self, blocking=False):
        # the GPU work queued so far, then every rank (the collectives above are stream-
        # ordered: later kernels on the stream see their results without a sync)
        self.sync()
        return self.meta.barrier(blocking)

    def allgather_object(self, obj):
        return self.meta.allgather_object(obj)

    def abort(self, code=1):
        self.meta.abort(code)


def mpi_world(caller):
    MPI = import_mpi(caller)
    return MpiComm(MPI.COMM_WORLD, MPI)


def nccl_world(mpi, caller):
    """A NCCL communicator over the same ranks: each rank takes the GPU of its local rank
    (rank among the processes of its machine); rank 0's unique id travels over MPI."""
    cupy, nccl = import_nccl(caller)
    local, count = mpi.local_rank(), cupy.cuda.runtime.getDeviceCount()
    if local >= count:
        raise RuntimeError(f"{caller}: local rank {local} on this machine but only {count} "
                           "GPU(s); backend='nccl' needs one GPU per rank (start fewer ranks "
                           "per machine, e.g. mpiexec -n <gpus> or a hostfile's slots=<gpus>)")
    cupy.cuda.Device(local).use()
    uid = mpi.comm.bcast(nccl.get_unique_id() if mpi.rank == 0 else None, root=0)
    comm = nccl.NcclCommunicator(mpi.size, uid, mpi.rank)
    return NcclComm(comm, nccl, mpi, lambda: cupy.cuda.get_current_stream().ptr,
                    lambda a: a.data.ptr, lambda: cupy.cuda.get_current_stream().synchronize())
