"""dtype and error-name parity with PyTorch (checked against torch by hand, not imported).

Floating unary ops on integer and bool tensors give the default float dtype; factories
reject unknown dtypes by name; shape ops name the function the user called."""
import math

import numpy as np
import pytest

import autograd as ag

# op -> its float64 reference (NumPy, or math for the ones NumPy lacks)
_erf = np.vectorize(math.erf)
FLOATING = {
    'sin': np.sin, 'cos': np.cos, 'tan': np.tan, 'exp': np.exp, 'expm1': np.expm1,
    'log': np.log, 'log1p': np.log1p, 'log2': np.log2, 'log10': np.log10,
    'sqrt': np.sqrt, 'rsqrt': lambda x: 1 / np.sqrt(x), 'sigmoid': lambda x: 1 / (1 + np.exp(-x)),
    'tanh': np.tanh, 'erf': _erf, 'reciprocal': lambda x: 1 / x,
    'asin': np.arcsin, 'acos': np.arccos, 'atan': np.arctan, 'sinh': np.sinh,
    'cosh': np.cosh, 'asinh': np.arcsinh, 'acosh': np.arccosh, 'atanh': np.arctanh,
}
INPUTS = {'int64': np.array([0, 1, 2, 3, -1], dtype=np.int64),
          'bool': np.array([False, True, True], dtype=bool)}


def _check(name, dtype, default):
    x = ag.tensor(INPUTS[dtype])
    with np.errstate(all='ignore'):
        want = FLOATING[name](INPUTS[dtype].astype(np.float64)).astype(default)
        for y in (getattr(ag, name)(x), getattr(x, name)()):
            assert y.dtype == default, (name, dtype, y.dtype)
            np.testing.assert_allclose(y.array, want, rtol=2e-7 if default == 'float32' else 1e-15,
                                       atol=0, equal_nan=True, err_msg=f'{name}({dtype})')


@pytest.mark.parametrize('dtype', sorted(INPUTS))
@pytest.mark.parametrize('name', sorted(FLOATING))
def test_floating_ops_on_integer_and_bool_give_default_float(name, dtype):
    _check(name, dtype, 'float32')


@pytest.mark.parametrize('dtype', sorted(INPUTS))
@pytest.mark.parametrize('name', sorted(FLOATING))
def test_floating_ops_follow_set_default_dtype(name, dtype):
    old = ag.get_default_dtype()
    ag.set_default_dtype(ag.float64)
    try:
        _check(name, dtype, 'float64')
    finally:
        ag.set_default_dtype(old)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_floating_ops_keep_a_float_dtype(dtype):
    x = ag.tensor(np.array([0.5, 1.5], dtype=dtype))
    with np.errstate(all='ignore'):         # acosh(0.5), atanh(1.5): NaN, not the point here
        for name in FLOATING:
            assert getattr(x, name)().dtype == dtype, name


_T = ag.zeros(2)
FACTORIES = {
    'zeros': lambda dt: ag.zeros(2, dtype=dt), 'ones': lambda dt: ag.ones(2, dtype=dt),
    'empty': lambda dt: ag.empty(2, dtype=dt), 'full': lambda dt: ag.full((2,), 1.0, dtype=dt),
    'eye': lambda dt: ag.eye(2, dtype=dt), 'arange': lambda dt: ag.arange(3, dtype=dt),
    'linspace': lambda dt: ag.linspace(0, 1, 3, dtype=dt),
    'logspace': lambda dt: ag.logspace(0, 1, 3, dtype=dt),
    'rand': lambda dt: ag.rand(2, dtype=dt), 'randn': lambda dt: ag.randn(2, dtype=dt),
    'randint': lambda dt: ag.randint(0, 3, (2,), dtype=dt),
    'randperm': lambda dt: ag.randperm(3, dtype=dt),
    'tensor': lambda dt: ag.tensor([1], dtype=dt),
    'as_tensor': lambda dt: ag.as_tensor([1], dtype=dt),
    'zeros_like': lambda dt: ag.zeros_like(_T, dtype=dt),
    'ones_like': lambda dt: ag.ones_like(_T, dtype=dt),
    'empty_like': lambda dt: ag.empty_like(_T, dtype=dt),
    'full_like': lambda dt: ag.full_like(_T, 1, dtype=dt),
    'rand_like': lambda dt: ag.rand_like(_T, dtype=dt),
    'randn_like': lambda dt: ag.randn_like(_T, dtype=dt),
    'randint_like': lambda dt: ag.randint_like(_T, 3, dtype=dt),
    'set_default_dtype': ag.set_default_dtype,
}


@pytest.mark.parametrize('bad', ['foo', object])
@pytest.mark.parametrize('name', sorted(FACTORIES))
def test_factories_name_a_bad_dtype(name, bad):
    with pytest.raises(TypeError) as info:
        FACTORIES[name](bad)
    message = str(info.value)
    assert message.startswith(f'{name}(): dtype must be'), message
    assert repr(bad) in message


@pytest.mark.parametrize('name', sorted(set(FACTORIES) - {'set_default_dtype'}))
def test_factories_still_take_good_dtypes(name):
    assert FACTORIES[name]('float64').dtype == 'float64'
    assert FACTORIES[name](ag.float32).dtype == ag.float32


_X = ag.zeros(2, 3)
NAMED = [   # (the function the user called, the call, a part of the message)
    ('view', lambda: _X.view(4), 'into shape (4,)'),
    ('view', lambda: _X.view(-1, -1), 'at most one -1'),
    ('reshape', lambda: _X.reshape(4), 'into shape (4,)'),
    ('reshape', lambda: ag.reshape(_X, (-1, -1)), 'at most one -1'),
    ('tile', lambda: ag.tile(_X, (-1, 1)), 'non-negative, got (-1, 1)'),
    ('tile', lambda: _X.tile(1, -2), 'non-negative, got (1, -2)'),
    ('repeat', lambda: _X.repeat(-1, 1), 'non-negative, got (-1, 1)'),
    ('broadcast_to', lambda: _X.broadcast_to((3,)), 'to (3,)'),
    ('broadcast_to', lambda: ag.broadcast_to(_X, (3, 3)), 'to (3, 3)'),
    ('expand', lambda: _X.expand(3, 3), 'to (3, 3)'),
    ('expand_as', lambda: _X.expand_as(ag.zeros(3, 3)), 'to (3, 3)'),
]


@pytest.mark.parametrize('name, call, detail', NAMED, ids=[f'{n}-{i}' for i, (n, _, _) in
                                                          enumerate(NAMED)])
def test_shape_errors_name_the_function_called(name, call, detail):
    with pytest.raises(ag.errors.ShapeError) as info:
        call()
    message = str(info.value)
    assert message.startswith(f'{name}: '), message
    assert detail in message, message


def test_tile_takes_dims_as_a_tuple_or_as_arguments():
    x = ag.arange(6).reshape(2, 3)
    want = np.tile(np.arange(6).reshape(2, 3), (2, 1))
    for y in (ag.tile(x, (2, 1)), x.tile(2, 1), x.tile((2, 1))):
        np.testing.assert_array_equal(y.array, want)
    np.testing.assert_array_equal(x.tile(2).array, np.tile(x.array, 2))      # pads in front
