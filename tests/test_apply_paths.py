"""Function.apply and apply_fast record the same node, for every op of the table.

The two are separate copies of the recording code (one shared helper costs ~7%
of the per-op time, see apply_fast's docstring), so this is what keeps them in
step: every op call made while running the gradient table's rows
(tests/test_op_gradients.py ROWS) that the fast path accepts (one or two
inputs, no options) is replayed through both, and the outputs and nodes
compared: value, edges, meta, saved values, versions, version counters.
"""
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import autograd as ag
from autograd.function import SAVED_OUTPUT, Function, apply_fast
from test_op_gradients import ROWS


def _fast_path_takes(inputs, kwargs):
    """The calls apply_fast handles itself (the rest it hands to apply, the same code)."""
    if kwargs or not 1 <= len(inputs) <= 2 or type(inputs[0]) is not ag.Tensor:
        return False
    if len(inputs) == 1:
        return True
    b = inputs[1]
    return type(b) in (float, int) or (type(b) is ag.Tensor and b.device == inputs[0].device)


@pytest.fixture(scope='module')
def calls():
    """(op class, inputs) of each fast-path-shaped call the rows make."""
    seen = []
    original = Function.apply.__func__

    def recording(cls, *inputs, **kwargs):
        if _fast_path_takes(inputs, kwargs):
            seen.append((cls, inputs))
        return original(cls, *inputs, **kwargs)

    Function.apply = classmethod(recording)
    try:
        for fn, make in ROWS.values():
            fn(*make())
    finally:
        Function.apply = classmethod(original)
    return seen


def _plain_ops():
    """Every op whose forward takes its one or two inputs and nothing else (private
    classes are bases, applied only through their subclasses: trig._Unary)."""
    for info in pkgutil.iter_modules(ag.ops.__path__):
        module = importlib.import_module(f'autograd.ops.{info.name}')
        for op in vars(module).values():
            if isinstance(op, type) and issubclass(op, Function) and op.__module__ == module.__name__ \
                    and not op.__name__.startswith('_') \
                    and list(inspect.signature(op.forward).parameters)[2:] in (['x'], ['a'], ['a', 'b']):
                yield op


def test_the_rows_reach_every_plain_op(calls):
    reached = {cls for cls, _ in calls}
    missing = sorted(op.__name__ for op in _plain_ops() if op not in reached)
    assert not missing, f"no row calls these through apply with fast-path inputs: {missing}"
    assert len(reached) >= 30


def _same_value(a, b):
    if hasattr(a, 'shape'):
        return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in 'fc')
    return a == b


def _meta(node):
    # repr: a NumPy dtype compares equal to None (np.dtype(None) is float64)
    return [m if m is None else (m[0], repr(m[1])) for m in node.meta]


def _compare(cls, inputs, general, fast):
    """Assert both results agree; return whether a recorded node was compared."""
    where = f"{cls.__name__} on {[getattr(x, 'shape', x) for x in inputs]}"
    assert general.requires_grad == fast.requires_grad, where
    assert _same_value(general.array, fast.array), where
    if cls.is_view:                                   # views share their base's counter
        assert general._vc is inputs[0]._vc and fast._vc is inputs[0]._vc, where
    n1, n2 = general._node, fast._node
    assert (n1 is None) == (n2 is None), where
    if n1 is None:
        return False
    assert type(n1) is type(n2) and n1.backend is n2.backend and n1.hooks is n2.hooks is None
    assert n2.seq > n1.seq, where
    assert len(n1.edges) == len(n2.edges) == len(inputs), where
    assert all(e1 is e2 for e1, e2 in zip(n1.edges, n2.edges)), f"edges differ: {where}"
    assert _meta(n1) == _meta(n2), f"meta differ: {where}"
    assert len(n1.saved) == len(n2.saved), f"saved differ: {where}"
    if not n1.saved:
        return True
    assert n1.versions == n2.versions, f"versions differ: {where}"
    for s1, s2, v in zip(n1.saved, n2.saved, n1.versions):
        if v == SAVED_OUTPUT:
            assert s1 is general.array and s2 is fast.array, where
        elif v is not None:                         # an input Tensor, held itself
            assert s1 is s2, where
        elif s1 is None or s2 is None:
            assert s1 is s2, where
        else:
            assert _same_value(s1, s2), f"saved value differs: {where}"
    if n1.out_vc is None:
        assert n2.out_vc is None, where
    else:
        assert n1.out_vc[0] is general._vc and n2.out_vc[0] is fast._vc, where
        assert n1.out_vc[1] == n2.out_vc[1], where
    return True


def test_apply_and_apply_fast_build_the_same_node(calls):
    recorded = [_compare(cls, inputs, cls.apply(*inputs), apply_fast(cls, *inputs))
                for cls, inputs in calls]
    assert sum(recorded) >= 30, "too few calls recorded a node to compare"


def test_the_same_without_recording(calls):
    with ag.no_grad():
        recorded = [_compare(cls, inputs, cls.apply(*inputs), apply_fast(cls, *inputs))
                    for cls, inputs in calls]
    assert recorded and not any(recorded), "no_grad must record no node on either path"


def test_the_comparison_catches_a_difference(calls):
    """The oracle itself: a node whose saved value is not the other's fails."""
    cls, inputs = next((c, i) for c, i in calls if c.__name__ == 'Exp')
    general, fast = cls.apply(*inputs), apply_fast(cls, *inputs)
    fast._node.versions = [None]
    with pytest.raises(AssertionError):
        _compare(cls, inputs, general, fast)
