"""Tests that run under `mpiexec -n 2`: each test file launches its worker script once
(tests/distributed/workers/), the worker runs every check on both ranks and rank 0 writes
what each rank saw to a JSON file, which the file's tests then read. Skipped cleanly
where mpi4py or mpiexec is missing (pip install -e ".[dist]" provides both)."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workers")


def mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.access(here, os.X_OK) else shutil.which("mpiexec")


def launch(worker, tmp_path, n=2, timeout=120, env=None):
    """Run workers/<worker>.py on n ranks; returns (CompletedProcess, per-rank results or None)."""
    if importlib.util.find_spec("mpi4py") is None or mpiexec() is None:
        pytest.skip('needs mpi4py and mpiexec: pip install -e ".[dist]"')
    out = tmp_path / f"{worker}.json"
    environ = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   **(env or {}))
    proc = subprocess.run([mpiexec(), "-n", str(n), sys.executable, os.path.join(WORKERS, f"{worker}.py"),
                           str(out)], capture_output=True, text=True, timeout=timeout, env=environ, cwd=ROOT)
    results = json.loads(out.read_text()) if out.exists() else None
    return proc, results


@pytest.fixture
def mpi_launch(tmp_path):
    """``mpi_launch("worker")`` -> (CompletedProcess, results) of one launch on 2 ranks."""
    return lambda worker, **kw: launch(worker, tmp_path, **kw)


@pytest.fixture(scope="module")
def ranks(request, tmp_path_factory):
    """The module's worker (its WORKER name), launched once; one dict of results per rank."""
    proc, results = launch(request.module.WORKER, tmp_path_factory.mktemp("mpi"))
    assert proc.returncode == 0 and results is not None, proc.stdout[-3000:] + proc.stderr[-3000:]
    return results
