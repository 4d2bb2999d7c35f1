"""`python -m benchmarks distributed` runs (started without mpiexec it starts itself under it)
and writes its JSON; a tiny run, for the machinery only: timings belong in benchmarks/."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_suite_runs_on_two_ranks_and_writes_json(tmp_path):
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if importlib.util.find_spec("mpi4py") is None or not os.access(mpiexec, os.X_OK):
        pytest.skip('needs mpi4py and mpiexec: pip install -e ".[dist]"')
    out = tmp_path / "dist.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "distributed", "--repeat", "1", "--steps", "1",
                           "--size-mb", "0.25", "--batch", "8", "--json", str(out)], cwd=ROOT, timeout=120,
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["ranks"] == 2 and result["allreduce"]["bytes"] == 2**18
    assert result["allreduce"]["ours_vs_raw"] > 0
    step = result["step"]
    assert {"single", "compute", "allreduce", "floor", "overlap", "no_overlap"} <= set(step)
    assert step["floor"]["ms"] == step["compute"]["ms"] + step["allreduce"]["ms"] > 0
    assert step["overlap"]["best_ms"] <= step["overlap"]["ms"]
    assert "2-rank step <= 1.15x one rank" in proc.stdout
