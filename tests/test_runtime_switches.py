"""ag.set_num_threads, use_deterministic_algorithms, set_float32_matmul_precision, compile."""
import pytest

import autograd as ag


def test_num_threads_round_trip():
    before = ag.get_num_threads()
    try:
        ag.set_num_threads(1)
        assert ag.get_num_threads() == 1
    finally:
        ag.set_num_threads(before)
    assert ag.get_num_threads() == before
    with pytest.raises(Exception, match="set_num_threads: num must be at least 1"):
        ag.set_num_threads(0)


def test_deterministic_and_precision_switches():
    try:
        ag.use_deterministic_algorithms(True, warn_only=True)
        assert ag.are_deterministic_algorithms_enabled()
        assert ag.is_deterministic_algorithms_warn_only_enabled()
    finally:
        ag.use_deterministic_algorithms(False)
    assert not ag.are_deterministic_algorithms_enabled()
    with pytest.raises(TypeError, match="use_deterministic_algorithms: expected a bool"):
        ag.use_deterministic_algorithms(1)
    ag.set_float32_matmul_precision("high")
    assert ag.get_float32_matmul_precision() == "high"
    ag.set_float32_matmul_precision("highest")
    with pytest.raises(ValueError, match="'highest', 'high' or 'medium', got 'low'"):
        ag.set_float32_matmul_precision("low")


def test_compile_returns_the_callable_in_every_form():
    def f(x):
        return x * 2

    assert ag.compile(f) is f
    assert ag.compile(mode="max-autotune")(f) is f

    @ag.compile
    def g(x):
        return x + 1

    assert g(ag.tensor(1.0)).item() == 2.0
    with pytest.raises(TypeError, match="compile: expected a Module or a function"):
        ag.compile(3)
