"""Shared test setup: each test starts with grad mode on, anomaly mode off, the CPU as
default device; the `gpu` marker skips without CuPy and a CUDA device."""
import pytest

import autograd as ag
from autograd.grad_mode import anomaly_enabled, grad_enabled


@pytest.fixture(autouse=True)
def _clean_global_state():
    grad_enabled.set(True)
    anomaly_enabled.set(False)
    ag.set_default_device('cpu')
    yield
    grad_enabled.set(True)
    anomaly_enabled.set(False)
    ag.set_default_device('cpu')


def pytest_collection_modifyitems(config, items):
    if ag.cuda.is_available():
        return
    skip = pytest.mark.skip(reason='needs CuPy and a CUDA GPU')
    for item in items:
        if 'gpu' in item.keywords:
            item.add_marker(skip)
