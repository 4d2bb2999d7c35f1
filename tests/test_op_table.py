"""The op table (autograd/ops/__init__.py): one line per op, everything else derived."""
import numpy as np
import pytest

import autograd as ag
from autograd.ops import FUNCTIONS, METHODS, OPERATORS, TensorOps, both, function, method


class Cube(ag.Function):
    __slots__ = ()

    def forward(self, xp, x):
        self.save_for_backward(x)
        return x * x * x

    def backward(self, xp, g, x):
        return g * 3 * x * x


class Hypot(ag.Function):
    __slots__ = ()

    def forward(self, xp, a, b):
        y = xp.sqrt(a * a + b * b)
        self.save_for_backward(a, b, y)
        return y

    def backward(self, xp, g, a, b, y):
        return g * a / y, g * b / y


def _line(make, source, name):
    line = make(source)
    line.build(name)
    return line


def test_a_class_line_makes_the_function_and_the_fast_method():
    line = _line(both, Cube, 'cube')
    assert line.function.__name__ == 'cube' and line.method.__name__ == 'cube'
    x = ag.tensor([1.0, -2.0, 0.5], dtype='float64', requires_grad=True)
    assert np.allclose(line.function([1.0, 2.0]).numpy(), [1.0, 8.0])   # lists become constants
    assert ag.gradcheck(line.method, [x]) and ag.gradgradcheck(line.function, [x])


def test_a_two_input_class_line_takes_numbers_on_either_side():
    line = _line(both, Hypot, 'hypot')
    a = ag.tensor([3.0, 5.0], dtype='float64', requires_grad=True)
    assert np.allclose(line.function(a, 4.0).detach().numpy(), [5.0, np.hypot(5, 4)])
    assert np.allclose(line.function(4.0, a).detach().numpy(), [5.0, np.hypot(5, 4)])
    assert line.method is line.function
    b = ag.tensor([-1.0, 2.0], dtype='float64', requires_grad=True)
    assert ag.gradcheck(line.function, [a, b]) and ag.gradgradcheck(line.function, [a, b])


def test_an_op_with_options_needs_a_function():
    class Scaled(ag.Function):
        def forward(self, xp, x, scale, shift):
            return x * scale + shift

    with pytest.raises(TypeError, match='math_api'):
        _line(both, Scaled, 'scaled')


def test_forms_and_aliases():
    assert _line(function, np.add, 'f').method is np.add      # built, but not exported
    mul = _line(both, ag.mul, 'mul')
    assert _line(method, mul, 'multiply').method is ag.mul
    assert ag.Tensor.multiply is ag.mul and ag.Tensor.clip is ag.clamp is ag.clip
    assert ag.Tensor.__abs__ is ag.Tensor.abs and ag.Tensor.__iadd__ is ag.Tensor.add_


def test_the_table_lists_every_method_tensor_gets():
    for name, fn in METHODS.items():
        assert getattr(TensorOps, name) is fn and ag.Tensor.__dict__[name] is fn, name
    assert set(OPERATORS) == {n for n in METHODS if n.startswith('__')}
    assert 'einsum' in FUNCTIONS and not hasattr(TensorOps, 'einsum')   # function-only lines
    assert all(getattr(ag, name) is fn for name, fn in FUNCTIONS.items())
