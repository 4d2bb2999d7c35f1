"""Every `xp.<name>` a backward formula uses exists in ops.tensor_namespace and means
what the array namespace's (NumPy's) does.

A backward runs on raw arrays normally and on the tensor namespace under
create_graph=True, so a name missing there, or meaning something else (PyTorch's
transpose for NumPy's), would fail only at second order. The names are found
by reading the ops' source (every method but forward of each op that is
differentiable twice, and the engine), so a new backward is covered as written.
"""
import ast
import importlib
import pathlib

import numpy as np
import pytest

import autograd as ag
from autograd.function import Function
from autograd.ops import tensor_namespace

PACKAGE = pathlib.Path(ag.__file__).parent


def _xp_names(node):
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == 'xp'}


def backward_names():
    """name -> the places that use it."""
    found = {}
    for path in sorted((PACKAGE / 'ops').glob('[!_]*.py')):
        module = importlib.import_module(f'autograd.ops.{path.stem}')
        for cls in ast.parse(path.read_text()).body:
            op = getattr(module, getattr(cls, 'name', ''), None)
            if not (isinstance(op, type) and issubclass(op, Function) and op.differentiable_twice):
                continue
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and fn.name != 'forward':
                    for name in _xp_names(fn):
                        found.setdefault(name, []).append(f'{path.stem}.{cls.name}.{fn.name}')
    for name in _xp_names(ast.parse((PACKAGE / 'engine.py').read_text())):
        found.setdefault(name, []).append('engine')
    return found


A = np.random.default_rng(0).uniform(0.5, 2.0, (2, 3, 4))    # positive: log is defined
B = np.random.default_rng(1).standard_normal((3, 4))
C = A[:, :2, :2]                                              # a cube for transpose's two forms
M = A[0] > 1.0
# name -> a call written against a namespace `xp`, with `T` wrapping the array operands
# (the identity for NumPy, ag.tensor for the tensor namespace), as backward formulas call it
SAMPLES = {
    'exp': lambda xp, T: xp.exp(T(B)),
    'log': lambda xp, T: xp.log(T(A)),
    'sin': lambda xp, T: xp.sin(T(B)),
    'cos': lambda xp, T: xp.cos(T(B)),
    'tanh': lambda xp, T: xp.tanh(T(B)),
    'erf': lambda xp, T: xp.erf(T(B)),
    'sign': lambda xp, T: xp.sign(T(B)),
    'floor': lambda xp, T: xp.floor(T(B * 3)),
    'trunc': lambda xp, T: xp.trunc(T(B * 3)),
    'isfinite': lambda xp, T: xp.isfinite(T(np.where(M, np.inf, B))),
    'where': lambda xp, T: xp.where(T(M), T(B), 0),
    'mask_grad': lambda xp, T: xp.mask_grad(T(M), T(B)),
    'zeros_like': lambda xp, T: xp.zeros_like(T(B)),
    'matmul': lambda xp, T: xp.matmul(T(A), T(B.T)),
    'einsum': lambda xp, T: xp.einsum('bij,kj->bik', T(A), T(B)),
    'swapaxes': lambda xp, T: xp.swapaxes(T(A), -1, 0),
    'transpose': lambda xp, T: xp.transpose(T(C), (2, 0, 1)) * 2 + xp.transpose(T(C)),
    'reshape': lambda xp, T: xp.reshape(T(A), (4, -1)),
    'broadcast_to': lambda xp, T: xp.broadcast_to(T(B[:1]), (2, 3, 4)),
    'expand_dims': lambda xp, T: xp.expand_dims(T(B), (0, 2)),
    'flip': lambda xp, T: xp.flip(T(A), (0, 2)),
    'roll': lambda xp, T: xp.roll(T(A), (1, -1), (0, 2)),
    'sum': lambda xp, T: xp.sum(T(A), axis=(0, 2), keepdims=True),
    'sum_to': lambda xp, T: xp.sum_to(T(A), (3, 1)),
    'prod_others': lambda xp, T: xp.prod_others(T(A), 1),
    'index_add': lambda xp, T: xp.index_add((4, 4), (np.array([0, 0, 2]),), T(B)),
    'astype': lambda xp, T: xp.astype(T(B), np.float32),
    'cumsum': lambda xp, T: xp.cumsum(T(A), 1),
    'tril': lambda xp, T: xp.tril(T(B), -1),
    'triu': lambda xp, T: xp.triu(T(B), 1),
    'take': lambda xp, T: xp.take(T(A), np.array([0, 0, 2]), axis=1),
    'clip': lambda xp, T: xp.clip(T(B), -0.5, 0.5),
}


def test_the_scan_finds_the_backward_names():
    names = backward_names()
    # one from an elementwise op, a movement op, a reduction, the engine
    assert {'cos', 'transpose', 'prod_others', 'sum_to'} <= set(names)
    assert 'empty_like' not in names           # rnn's raw-array (once-differentiable) backward


def test_every_backward_name_is_in_the_tensor_namespace():
    missing = {n: where for n, where in backward_names().items() if not hasattr(tensor_namespace, n)}
    assert not missing, (f"backward formulas use names ops/tensor_namespace.py lacks (they would "
                         f"fail under create_graph=True): {missing}")


def test_every_backward_name_has_a_sample():
    missing = sorted(set(backward_names()) - set(SAMPLES))
    assert not missing, f"add a call of each to SAMPLES in {__file__}: {missing}"


@pytest.mark.parametrize('name', sorted(SAMPLES))
def test_same_meaning_as_the_array_namespace(name):
    expected = SAMPLES[name](ag.backends.get('cpu').xp, lambda a: a)
    got = SAMPLES[name](tensor_namespace, ag.tensor)
    assert isinstance(got, ag.Tensor), f"{name} gave a {type(got).__name__}, not a Tensor"
    assert got.shape == expected.shape and got.dtype == expected.dtype, name
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, err_msg=name)

