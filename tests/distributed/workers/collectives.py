"""Every collective against NumPy on the gathered inputs, on MPI and on the NCCL backend's
code driven by a fake NCCL (pointers into NumPy arrays, transported by MPI), plus the
errors: mismatched shapes across ranks, AVG of integers, a GPU tensor on backend 'mpi',
init twice. Results are compared in tests/distributed/test_collectives.py."""
import ctypes
import types

import numpy as np
from _harness import check, finish, raised, results
from mpi4py import MPI

import autograd as ag
import autograd.distributed as dist
from autograd.backends import register
from autograd.backends.numpy_backend import NumpyBackend
from autograd.distributed import backends

COMM = MPI.COMM_WORLD
RANK, SIZE = COMM.Get_rank(), COMM.Get_size()


class FakeGpu(NumpyBackend):
    is_gpu = True          # NumPy arrays, routed to the NCCL communicator as a GPU's would be


register(FakeGpu("fakegpu:0"))


class FakeNcclCommunicator:
    """cupy.cuda.nccl.NcclCommunicator's methods on raw pointers, carried out by MPI."""
    calls = []

    def __init__(self, ndev, uid, rank):
        self.comm, self.uid, self.rank = COMM.Dup(), uid, rank
        assert ndev == SIZE and rank == RANK

    @staticmethod
    def _array(ptr, count, dtype):
        dtype = np.dtype(dtype)
        return np.frombuffer((ctypes.c_byte * (count * dtype.itemsize)).from_address(ptr), dtype)

    def allReduce(self, send, recv, count, dtype, op, stream):
        self.calls.append("allReduce")
        buf = self._array(recv, count, dtype)
        self.comm.Allreduce(MPI.IN_PLACE if send == recv else self._array(send, count, dtype), buf, OPS[op])

    def bcast(self, buf, count, dtype, root, stream):
        self.calls.append("bcast")
        self.comm.Bcast(self._array(buf, count, dtype), root)

    def reduce(self, send, recv, count, dtype, op, root, stream):
        self.calls.append("reduce")
        if self.rank == root:
            self.comm.Reduce(MPI.IN_PLACE, self._array(recv, count, dtype), OPS[op], root)
        else:
            self.comm.Reduce(self._array(send, count, dtype), None, OPS[op], root)

    def allGather(self, send, recv, count, dtype, stream):
        self.calls.append("allGather")
        self.comm.Allgather(self._array(send, count, dtype), self._array(recv, count * SIZE, dtype))


OPS = {"sum": MPI.SUM, "prod": MPI.PROD, "max": MPI.MAX, "min": MPI.MIN}
FAKE_NCCL = types.SimpleNamespace(
    NcclCommunicator=FakeNcclCommunicator, get_unique_id=lambda: "uid-of-rank-%d" % RANK,
    **{f"NCCL_{k.upper()}": k for k in OPS if k != "prod"}, NCCL_PROD="prod",
    **{f"NCCL_{t.upper()}": t for t in ("float16", "float32", "float64", "int8", "uint8",
                                         "int32", "uint32", "int64", "uint64")})
DEVICES_USED = []
FAKE_CUPY = types.SimpleNamespace(cuda=types.SimpleNamespace(
    runtime=types.SimpleNamespace(getDeviceCount=lambda: 2),
    Device=lambda i: types.SimpleNamespace(use=lambda: DEVICES_USED.append(i)),
    get_current_stream=lambda: types.SimpleNamespace(ptr=0, synchronize=lambda: None)))


def data(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    return (rng.integers(-5, 6, size=shape) if np.dtype(dtype).kind == "i"
            else rng.normal(size=shape)).astype(dtype)


def gathered(x):
    return np.stack(COMM.allgather(x))


def collectives(device, tag):
    """Each collective on `device`; returns {name: max abs error against NumPy}."""
    errors = {}
    for dtype in ("float32", "float64", "int64"):
        for op, ref in ((dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.PRODUCT, np.prod),
                        (dist.ReduceOp.MAX, np.max), (dist.ReduceOp.MIN, np.min),
                        (dist.ReduceOp.AVG, np.mean)):
            if op is dist.ReduceOp.AVG and dtype == "int64":
                continue
            x = data((3, 4), dtype, RANK)
            t = ag.tensor(x, device=device)
            work = dist.all_reduce(t, op=op, async_op=(op is dist.ReduceOp.MAX))
            if work is not None:
                assert work.wait() is True and work.is_completed()
            errors[f"all_reduce {op.name} {dtype}"] = float(np.abs(t.array - ref(gathered(x), axis=0)).max())
    x = data((6, 4), "float64", 10 + RANK)
    t = ag.tensor(x, device=device)
    view = ag.tensor(t.array[:, ::2])                  # not contiguous: sent as a copy, written back
    view.array = t.array[:, ::2]
    dist.all_reduce(view)
    errors["all_reduce non-contiguous"] = float(np.abs(t.array[:, ::2] - gathered(x)[:, :, ::2].sum(0)).max())
    errors["all_reduce non-contiguous untouched"] = float(np.abs(t.array[:, 1::2] - x[:, 1::2]).max())
    for src in range(SIZE):
        x = data(5, "float32", 20 + RANK)
        t = ag.tensor(x, device=device)
        dist.broadcast(t, src=src, async_op=True).wait()
        errors[f"broadcast src={src}"] = float(np.abs(t.array - gathered(x)[src]).max())
    x = data((2, 3), "int64", 30 + RANK)
    outs = [ag.zeros((2, 3), dtype=ag.int64, device=device) for _ in range(SIZE)]
    dist.all_gather(outs, ag.tensor(x, device=device))
    errors["all_gather"] = float(np.abs(np.stack([o.array for o in outs]) - gathered(x)).max())
    for dst in range(SIZE):
        x = data(7, "float64", 40 + RANK)
        t = ag.tensor(x, device=device)
        dist.reduce(t, dst=dst, op=dist.ReduceOp.AVG)
        everyone = gathered(x)                         # (a collective: every rank calls it)
        expect = everyone.mean(0) if RANK == dst else x
        errors[f"reduce AVG dst={dst}"] = float(np.abs(t.array - expect).max())
    dist.barrier()
    dist.barrier(async_op=True).wait()
    return errors


@check
def mpi_world():
    dist.init_process_group("mpi")
    return {"rank": dist.get_rank(), "size": dist.get_world_size(), "backend": dist.get_backend(),
            "initialized": dist.is_initialized()}


@check
def mismatch_first_call():
    # the first all_gather is checked across ranks: a different shape on each rank raises
    # the same error everywhere instead of hanging
    t = ag.zeros(2 + RANK)
    return raised(lambda: dist.all_gather([ag.zeros(2 + RANK) for _ in range(SIZE)], t))


@check
def mpi_collectives():
    return collectives("cpu", "mpi")


@check
def mismatch_detail_mode():
    dist._get("test").debug = True           # TAPEGRAD_DISTRIBUTED_DEBUG=DETAIL: every call
    try:
        return [raised(lambda: dist.all_reduce(ag.zeros(3, dtype=ag.float64 if RANK else ag.float32))),
                raised(lambda: dist.broadcast(ag.zeros(3), src=RANK))]
    finally:
        dist._get("test").debug = False


@check
def other_errors():
    return {"avg_int": raised(lambda: dist.all_reduce(ag.tensor([1, 2]), op=dist.ReduceOp.AVG)),
            "gpu_on_mpi": raised(lambda: dist.all_reduce(ag.zeros(2, device="fakegpu:0"))),
            "twice": raised(lambda: dist.init_process_group("mpi")),
            "bad_src": raised(lambda: dist.broadcast(ag.zeros(2), src=SIZE)),
            "list_length": raised(lambda: dist.all_gather([ag.zeros(2)], ag.zeros(2)))}


@check
def nccl_world():
    dist.destroy_process_group()
    backends.import_nccl = lambda caller: (FAKE_CUPY, FAKE_NCCL)
    dist.init_process_group("nccl")
    world = dist._get("test")
    world.nccl.ptr = lambda a: a.ctypes.data           # NumPy memory instead of a device's
    return {"backend": dist.get_backend(), "device": DEVICES_USED, "uid": world.nccl.comm.uid}


@check
def nccl_collectives():
    FakeNcclCommunicator.calls.clear()
    errors = collectives("fakegpu:0", "nccl")
    return {"errors": errors, "calls": sorted(set(FakeNcclCommunicator.calls))}


@check
def nccl_cpu_tensors_still_use_mpi():
    FakeNcclCommunicator.calls.clear()
    t = ag.tensor([1.0 + RANK])
    dist.all_reduce(t)
    return {"value": float(t.array[0]), "nccl_calls": len(FakeNcclCommunicator.calls)}


@check
def nccl_unsupported_dtype():
    return raised(lambda: dist.all_reduce(ag.zeros(2, dtype=ag.complex64 if hasattr(ag, "complex64")
                                                    else "complex64", device="fakegpu:0")))


finish()
results  # noqa: B018  (written by finish)
