"""A table of bad inputs: each must raise the documented exception type with a
message that names the op and the offending shapes / dtypes / devices."""
import numpy as np
import pytest

import autograd as ag

SHAPE_ERR = (RuntimeError, ValueError)
DIM_ERR = (IndexError, ValueError, RuntimeError)
INDEX_ERR = (IndexError, RuntimeError, ValueError)
DTYPE_ERR = (RuntimeError, TypeError)


class Shape:
    """Matches a shape printed as '(2, 3)', '(2,3)', '[2, 3]' or '[2,3]'."""

    def __init__(self, *dims):
        self.dims = dims

    def forms(self):
        out = []
        for sep in (", ", ","):          # '(2, 3)' or NumPy's compact '(2,3)'
            inner = sep.join(str(d) for d in self.dims)
            tup = f"({inner},)" if len(self.dims) == 1 else f"({inner})"
            out += [tup, f"[{inner}]"]
        return out

    def __repr__(self):
        return f"Shape{self.dims}"


class AnyOf:
    def __init__(self, *alts):
        self.alts = alts

    def forms(self):
        out = []
        for a in self.alts:
            out.extend(a.forms() if hasattr(a, "forms") else [a])
        return out

    def __repr__(self):
        return f"AnyOf{self.alts}"


def _check_message(msg, needles):
    low = msg.lower()
    for n in needles:
        forms = n.forms() if hasattr(n, "forms") else [n]
        assert any(f.lower() in low for f in forms), (
            f"message does not mention {n!r}: {msg!r}"
        )


def t(shape, dtype=np.float64, rg=False):
    return ag.tensor(np.ones(shape, dtype=dtype), requires_grad=rg)


# ---- the bad inputs --------------------------------------------------------
def _matmul_op():
    return t((2, 3)) @ t((4, 5))


def _matmul_fn():
    return ag.matmul(t((2, 3)), t((4, 5)))


def _matmul_batched():
    return t((3, 2, 3)) @ t((3, 4, 5))


def _matmul_0d():
    return ag.tensor(np.array(2.0)) @ ag.tensor(np.array(3.0))


def _add_bcast():
    return t((2, 3)) + t((4,))


def _sub_bcast():
    return t((2, 3)) - t((4,))


def _mul_bcast():
    return t((2, 3)) * t((4,))


def _div_bcast():
    return t((2, 3)) / t((4,))


def _maximum_bcast():
    return ag.maximum(t((2, 3)), t((4,)))


def _where_bcast():
    return ag.where(ag.tensor(np.ones((2, 3), dtype=bool)), t((2, 3)), t((4,)))


def _sum_dim():
    return t((2, 3)).sum(dim=5)


def _mean_dim():
    return t((2, 3)).mean(dim=-3)


def _max_dim():
    return t((2, 3)).max(dim=2)


def _softmax_dim():
    return t((2, 3)).softmax(dim=4)


def _transpose_dim():
    return t((2, 3)).transpose(0, 3)


def _squeeze_dim():
    return t((2, 3)).squeeze(4)


def _unsqueeze_dim():
    return t((2, 3)).unsqueeze(5)


def _reshape():
    return t((2, 3)).reshape(4)


def _reshape_tuple():
    return t((2, 3)).reshape((4, 2))


def _view():
    return t((2, 3)).view(5)


def _permute():
    return t((2, 3)).permute(0)


def _expand():
    return t((2, 3)).expand(4, 3)


def _cat():
    return ag.cat([t((2, 3)), t((2, 4))], dim=0)


def _stack():
    return ag.stack([t((2, 3)), t((3, 2))])


def _gather():
    idx = ag.tensor(np.array([[0, 5]]))
    return t((2, 3)).gather(1, idx)


def _index_select():
    return t((2, 3)).index_select(0, ag.tensor(np.array([0, 7])))


def _getitem_int():
    return t((2, 3))[5]


def _getitem_array():
    return t((2, 3))[ag.tensor(np.array([0, 9]))]


def _bool_requires_grad():
    return ag.tensor([True], requires_grad=True)


def _int_requires_grad():
    return ag.tensor([1, 2], requires_grad=True)


def _int_factory_requires_grad():
    return ag.zeros(3, dtype=ag.int64, requires_grad=True)


def _int_requires_grad_():
    return ag.tensor([1, 2]).requires_grad_()


def _backward_non_scalar():
    x = t((2, 3), rg=True)
    (x * 2.0).backward()


def _backward_bad_gradient_shape():
    x = t((2, 3), rg=True)
    (x * 2.0).backward(gradient=t((3, 2)))


def _backward_no_grad_tensor():
    t((2,)).sum().backward()


def _freed_graph():
    x = t((3,), rg=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _inplace_leaf():
    x = t((3,), rg=True)
    x.add_(1.0)


def _inplace_mul_leaf():
    x = t((3,), rg=True)
    x.mul_(2.0)


def _version_mismatch():
    x = t((3,), rg=True)
    a = x * 2.0
    b = a * a
    with ag.no_grad():
        a.mul_(3.0)
    b.sum().backward()


def _grad_unused():
    x = t((3,), rg=True)
    z = t((3,), rg=True)
    ag.grad((x * x).sum(), [x, z])


def _numpy_requires_grad():
    t((3,), rg=True).numpy()


def _item_many():
    return t((2, 3)).item()


def _retain_grad_no_rg():
    t((3,)).retain_grad()


def _hook_no_rg():
    t((3,)).register_hook(lambda g: g)


def _anomaly_log():
    with np.errstate(all="ignore"), ag.detect_anomaly():
        ag.log(ag.tensor([-1.0], requires_grad=True))


def _grad_wrong_shape():
    x = t((2,), rg=True)
    x.grad = t((3,))


def _add_string():
    return t((2,)) + "a"


CASES = [
    # (callable, accepted exception types, things the message must mention)
    pytest.param(_matmul_op, SHAPE_ERR, ["matmul", Shape(2, 3), Shape(4, 5)], id="matmul-@"),
    pytest.param(_matmul_fn, SHAPE_ERR, ["matmul", Shape(2, 3), Shape(4, 5)], id="matmul-fn"),
    pytest.param(_matmul_batched, SHAPE_ERR, ["matmul", Shape(3, 2, 3), Shape(3, 4, 5)], id="matmul-batched"),
    pytest.param(_matmul_0d, SHAPE_ERR, ["matmul"], id="matmul-0d"),
    pytest.param(_add_bcast, SHAPE_ERR, ["add", Shape(2, 3), Shape(4)], id="add-broadcast"),
    pytest.param(_sub_bcast, SHAPE_ERR, ["sub", Shape(2, 3), Shape(4)], id="sub-broadcast"),
    pytest.param(_mul_bcast, SHAPE_ERR, ["mul", Shape(2, 3), Shape(4)], id="mul-broadcast"),
    pytest.param(_div_bcast, SHAPE_ERR, ["div", Shape(2, 3), Shape(4)], id="div-broadcast"),
    pytest.param(_maximum_bcast, SHAPE_ERR, ["maximum", Shape(2, 3), Shape(4)], id="maximum-broadcast"),
    pytest.param(_where_bcast, SHAPE_ERR, ["where", Shape(2, 3), Shape(4)], id="where-broadcast"),
    pytest.param(_sum_dim, DIM_ERR, ["sum", "5"], id="sum-dim"),
    pytest.param(_mean_dim, DIM_ERR, ["mean", "-3"], id="mean-dim"),
    pytest.param(_max_dim, DIM_ERR, ["max", "2"], id="max-dim"),
    pytest.param(_softmax_dim, DIM_ERR, ["softmax", "4"], id="softmax-dim"),
    pytest.param(_transpose_dim, DIM_ERR, ["transpose", "3"], id="transpose-dim"),
    pytest.param(_squeeze_dim, DIM_ERR, ["squeeze", "4"], id="squeeze-dim"),
    pytest.param(_unsqueeze_dim, DIM_ERR, ["unsqueeze", "5"], id="unsqueeze-dim"),
    pytest.param(_reshape, SHAPE_ERR, ["reshape", Shape(2, 3), AnyOf(Shape(4), "4")], id="reshape"),
    pytest.param(_reshape_tuple, SHAPE_ERR, ["reshape", Shape(2, 3), Shape(4, 2)], id="reshape-tuple"),
    pytest.param(_view, SHAPE_ERR, [AnyOf("view", "reshape"), Shape(2, 3), AnyOf(Shape(5), "5")], id="view"),
    pytest.param(_permute, SHAPE_ERR + (IndexError,), ["permute"], id="permute"),
    pytest.param(_expand, SHAPE_ERR, ["expand", Shape(2, 3), Shape(4, 3)], id="expand"),
    pytest.param(_cat, SHAPE_ERR, ["cat", Shape(2, 3), Shape(2, 4)], id="cat"),
    pytest.param(_stack, SHAPE_ERR, ["stack", Shape(2, 3), Shape(3, 2)], id="stack"),
    pytest.param(_gather, INDEX_ERR, ["gather", "5"], id="gather-out-of-range"),
    pytest.param(_index_select, INDEX_ERR, ["index_select", "7"], id="index_select-out-of-range"),
    pytest.param(_getitem_int, (IndexError,), ["5"], id="getitem-int"),
    pytest.param(_getitem_array, (IndexError,), ["9"], id="getitem-array"),
    pytest.param(_bool_requires_grad, DTYPE_ERR, ["bool"], id="bool-requires-grad"),
    pytest.param(_int_requires_grad, DTYPE_ERR, ["int64"], id="int-requires-grad"),
    pytest.param(_int_factory_requires_grad, DTYPE_ERR, ["int64"], id="int-factory-requires-grad"),
    pytest.param(_int_requires_grad_, DTYPE_ERR, ["int64"], id="int-requires_grad_"),
    pytest.param(_backward_non_scalar, (RuntimeError,), [Shape(2, 3)], id="backward-non-scalar"),
    pytest.param(_backward_bad_gradient_shape, SHAPE_ERR, [Shape(2, 3), Shape(3, 2)], id="backward-gradient-shape"),
    pytest.param(_backward_no_grad_tensor, (RuntimeError,), [AnyOf("requires_grad", "require grad", "grad_fn")], id="backward-no-grad"),
    pytest.param(_freed_graph, (RuntimeError,), ["retain_graph=True"], id="freed-graph"),
    pytest.param(_inplace_leaf, (RuntimeError,), ["leaf", "add_"], id="inplace-leaf-add_"),
    pytest.param(_inplace_mul_leaf, (RuntimeError,), ["leaf", "mul_"], id="inplace-leaf-mul_"),
    pytest.param(_version_mismatch, (RuntimeError,), ["mul", AnyOf("version", "in-place", "inplace", "in place")], id="version-counter"),
    pytest.param(_grad_unused, (RuntimeError,), [AnyOf("allow_unused", "not been used", "unused")], id="grad-unused"),
    pytest.param(_numpy_requires_grad, (RuntimeError,), ["detach"], id="numpy-requires-grad"),
    pytest.param(_item_many, SHAPE_ERR, [AnyOf("6", Shape(2, 3))], id="item-many-elements"),
    pytest.param(_retain_grad_no_rg, (RuntimeError,), [AnyOf("requires_grad", "require grad", "requires grad")], id="retain_grad-no-rg"),
    pytest.param(_hook_no_rg, (RuntimeError,), [AnyOf("requires_grad", "require grad", "requires grad")], id="hook-no-rg"),
    pytest.param(_anomaly_log, (RuntimeError,), ["log"], id="anomaly-log"),
    pytest.param(_grad_wrong_shape, SHAPE_ERR, [Shape(2), Shape(3)], id="grad-assign-wrong-shape"),
    pytest.param(_add_string, (TypeError,), [], id="add-string"),
]


@pytest.mark.parametrize("fn,exc,needles", CASES)
def test_bad_input_raises_clear_error(fn, exc, needles):
    with pytest.raises(exc) as ei:
        fn()
    assert str(ei.value).strip(), "empty error message"
    _check_message(str(ei.value), needles)


# ---- devices ---------------------------------------------------------------
def _second_device():
    """'cuda' when there is one, else a second NumPy-backed device registered for tests."""
    try:
        if ag.cuda.is_available():
            return "cuda"
    except AttributeError:
        pass
    try:
        from autograd.backends.numpy_backend import NumpyBackend
    except ImportError:
        return None
    if not hasattr(ag.backends, "register"):
        return None
    return ag.backends.register(NumpyBackend("fake:7")).name


def test_mixed_devices_error_names_op_and_both_devices():
    dev = _second_device()
    if dev is None:
        pytest.skip("no second device (no CUDA and no test device registry)")
    a = ag.tensor(np.ones(3))
    b = ag.tensor(np.ones(3)).to(dev)
    assert b.device.startswith(dev)
    cases = [("add", lambda: a + b), ("mul", lambda: b * a),
             ("matmul", lambda: ag.matmul(a, b)), ("cat", lambda: ag.cat([a, b]))]
    for op, fn in cases:
        with pytest.raises((RuntimeError, ValueError, TypeError)) as ei:
            fn()
        msg = str(ei.value).lower()
        assert op in msg and "cpu" in msg and dev in msg, msg


def test_unknown_device_raises():
    with pytest.raises((RuntimeError, ValueError)) as ei:
        ag.zeros(2, device="tpu")
    assert "tpu" in str(ei.value)
