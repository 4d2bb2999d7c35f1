"""What both port test files share: run one program of this folder as __main__."""
import os
import runpy

import pytest

import autograd as ag

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def run_port(capsys):
    """run_port(name) runs tests/ports/<name>.py as __main__ (seed 0) and returns
    (its globals, what it printed)."""
    def run(name):
        ag.manual_seed(0)
        g = runpy.run_path(os.path.join(HERE, name + ".py"), run_name="__main__")
        return g, capsys.readouterr().out
    return run
