"""Examples are scripts in examples/ (not a package): put that folder on sys.path so tests can
`import xor` etc. and call `main(["--smoke", ...])`; `run_example` does it with an --out in tmp."""
import importlib
import os
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")
if EXAMPLES not in sys.path:
    sys.path.insert(0, EXAMPLES)


@pytest.fixture
def run_example(tmp_path, monkeypatch):
    """``run_example("xor", "--epochs", "2")`` -> the dict main() returns, run in smoke mode on the
    default (no-network) data, writing any files under tmp_path, with one OpenBLAS thread."""
    monkeypatch.delenv("MNIST_DIR", raising=False)

    import _common
    old = _common.set_blas_threads(1)    # tiny matrices: OpenBLAS's extra threads only spin on a busy machine

    def run(name, *argv):
        module = importlib.import_module(name)
        return module.main(["--smoke", "--out", str(tmp_path), *argv])
    yield run
    if old is not None:
        _common.set_blas_threads(old)
