"""examples/data_parallel.py: smoke run in this process (a world of one rank), and under
`mpiexec -n 2`, which must end where the single process does (same accuracy, same parameters
to float32 rounding). Skipped without mpi4py/mpiexec (pip install -e ".[dist]")."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_data_parallel_learns_and_two_ranks_end_like_one(run_example, tmp_path):
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    mpiexec = mpiexec if os.access(mpiexec, os.X_OK) else shutil.which("mpiexec")
    if importlib.util.find_spec("mpi4py") is None or mpiexec is None:
        pytest.skip('needs mpi4py and mpiexec: pip install -e ".[dist]"')
    one = run_example("data_parallel")
    assert one["world"] == 1 and one["steps"] == 3 * (512 // 64)
    assert one["final_acc"] > one["init_acc"] + 0.15                  # chance is 0.1
    env = {k: v for k, v in os.environ.items() if k != "MNIST_DIR"}
    env.update(PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([mpiexec, "-n", "2", sys.executable, os.path.join(ROOT, "examples", "data_parallel.py"),
                           "--smoke", "--out", str(tmp_path)], capture_output=True, text=True, env=env,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert len(re.findall(r"^\s+[01]\s+\d+\s+[\d.]+\s+[\d.]+%$", proc.stdout, re.M)) == 2   # both ranks' rows
    acc, norm = re.search(r"final test accuracy ([\d.]+) .*L1 norm ([\d.]+)", proc.stdout).groups()
    assert abs(float(acc) - one["final_acc"]) <= 1 / 256
    assert float(norm) == pytest.approx(one["param_checksum"], rel=1e-5)
