"""The shared check of the table-driven error tests (tests/test_errors_*.py).

A case is a callable that must raise: the exception must be of the given type and
its message must contain every needle (case-insensitively): the function the user
called and the offending value, so the error says what went wrong where."""
import pytest


def case(case_id, fn, exc, *needles):
    return pytest.param(fn, exc, needles, id=case_id)


def check(fn, exc, needles):
    with pytest.raises(exc) as info:
        fn()
    message = str(info.value)
    low = message.lower()
    for needle in needles:
        assert str(needle).lower() in low, f"{needle!r} not in message: {message!r}"
    # our checks, never a bare NumPy/Python text
    for raw in ('integer division or modulo by zero', 'tuple index out of range',
                'negative dimensions are not allowed', 'must not be zero'):
        assert raw not in low, message
