"""autograd.distributed's collectives on 2 MPI ranks (one mpiexec launch for the file:
workers/collectives.py), against NumPy on the gathered inputs; the NCCL backend's code runs
on the same ranks against a fake NCCL. Plus what needs no launch: errors before init, and
that importing autograd/nn imports no mpi4py."""
import os
import subprocess
import sys

import pytest

import autograd as ag
import autograd.distributed as dist

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER = "collectives"


def test_world_is_the_launchers(ranks):
    assert [r["mpi_world"] for r in ranks] == [
        {"rank": i, "size": 2, "backend": "mpi", "initialized": True} for i in range(2)]


@pytest.mark.parametrize("backend", ["mpi", "nccl"])
def test_every_collective_matches_numpy(ranks, backend):
    for r in ranks:
        result = r[f"{backend}_collectives"]
        errors = result["errors"] if backend == "nccl" else result
        assert "error" not in errors, errors.get("trace")
        assert len(errors) == 14 + 2 + 2 + 1 + 2          # all_reduce ops x dtypes, views, ...
        assert max(errors.values()) < 1e-5, {k: v for k, v in errors.items() if v >= 1e-5}


def test_nccl_backend_took_the_gpu_tensors(ranks):
    for rank, r in enumerate(ranks):
        assert r["nccl_collectives"]["calls"] == ["allGather", "allReduce", "bcast", "reduce"]
        # each rank takes the GPU of its local rank; everyone got rank 0's unique id
        assert r["nccl_world"] == {"backend": "nccl", "device": [rank], "uid": "uid-of-rank-0"}
        assert r["nccl_cpu_tensors_still_use_mpi"] == {"value": 3.0, "nccl_calls": 0}
        assert "NCCL has no type for complex64" in r["nccl_unsupported_dtype"]


def test_mismatched_tensors_raise_the_same_error_on_every_rank(ranks):
    first = [r["mismatch_first_call"] for r in ranks]
    assert first[0] == first[1] and "all_gather: the ranks disagree" in first[0]
    assert "rank 0: (2,) float32; rank 1: (3,) float32" in first[0]
    detail = [r["mismatch_detail_mode"] for r in ranks]
    assert detail[0] == detail[1]
    assert "(3,) float32" in detail[0][0] and "(3,) float64" in detail[0][0]
    assert "src=0" in detail[0][1] and "src=1" in detail[0][1]


def test_argument_errors(ranks):
    e = ranks[0]["other_errors"]
    assert e["avg_int"].startswith("TypeError: all_reduce: ReduceOp.AVG needs a floating tensor")
    assert "backend='mpi'" in e["gpu_on_mpi"] and "backend='nccl'" in e["gpu_on_mpi"]
    assert e["twice"] == "ValueError: trying to initialize the default process group twice!"
    assert "src=2 is not a rank" in e["bad_src"]
    assert "needs one per rank (2)" in e["list_length"]


def test_collectives_before_init_raise_pytorchs_error():
    assert not dist.is_initialized()
    for call in (dist.get_rank, dist.get_world_size, lambda: dist.all_reduce(ag.ones(2)),
                 lambda: dist.broadcast(ag.ones(2)), dist.barrier):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            call()


def test_importing_autograd_and_nn_imports_no_mpi4py():
    code = ("import sys, autograd, nn, autograd.distributed, nn.parallel; "
            "assert 'mpi4py' not in sys.modules and 'cupy' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_missing_backend_names_the_extra(monkeypatch):
    from autograd.distributed import backends
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)         # as if not installed
    with pytest.raises(ImportError, match=r'pip install -e "\.\[dist\]"'):
        backends.import_mpi("init_process_group")
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(ImportError, match=r'\.\[dist,gpu\]'):
        backends.import_nccl("init_process_group")
