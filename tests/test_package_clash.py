"""Another distribution under our import names (HIPS autograd, a PyPI 'nn'): a clear
ImportError that says what happened and what to do, in a child Python each time."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(code, *path):
    """Run `code` with only `path` ahead of the environment (from a folder holding no packages)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(p) for p in path))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          cwd=os.path.dirname(str(path[0])))


def site(tmp_path, packages, dists):
    """A fake site-packages holding copies of our packages and the given dist-info folders."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    for package in packages:
        shutil.copytree(os.path.join(ROOT, package), folder / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for dist in dists:
        (folder / dist).mkdir()
        name, version = dist.split("-")[0], dist.split("-")[1].rsplit(".", 1)[0]
        (folder / dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return folder


def test_nn_finding_hips_autograd_first_on_the_path_says_so(tmp_path):
    hips = tmp_path / "hips"
    (hips / "autograd").mkdir(parents=True)
    (hips / "autograd" / "__init__.py").write_text(
        "from .differential_operators import grad\n__version__ = '1.7.0'\n")
    (hips / "autograd" / "differential_operators.py").write_text("def grad(fun):\n    return fun\n")
    done = run("import nn", hips, ROOT)
    assert done.returncode != 0
    assert "ImportError: nn (tapegrad) needs tapegrad's 'autograd' package" in done.stderr
    assert str(hips / "autograd" / "__init__.py") in done.stderr
    assert "virtual environment" in done.stderr and "pip uninstall autograd" in done.stderr


@pytest.mark.parametrize("package,dist", [("autograd", "autograd-1.7.0.dist-info"),
                                          ("autograd", "autograd-1.3.egg-info"),
                                          ("nn", "nn-0.1.0.dist-info")])
def test_our_files_mixed_with_another_distributions_are_refused(tmp_path, package, dist):
    folder = site(tmp_path, ["autograd", "nn"], ["tapegrad-0.1.0.dist-info", dist])
    done = run(f"import {package}", folder)
    assert done.returncode != 0
    assert f"ImportError: {package} (tapegrad): {folder} also holds {dist}" in done.stderr
    assert f"pip uninstall {package} tapegrad" in done.stderr and "virtual environment" in done.stderr


def test_a_clean_install_imports_and_so_does_a_look_alike_name(tmp_path):
    folder = site(tmp_path, ["autograd", "nn"], ["tapegrad-0.1.0.dist-info", "autograd_extras-2.0.dist-info",
                                                 "nnx-1.0.dist-info"])
    done = run("import autograd, nn; print(autograd.__file__, nn.__file__)", folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(folder / "autograd" / "__init__.py"), str(folder / "nn" / "__init__.py")]
