"""PyTorch's in-place forms of the unary ops (`x.exp_()`, `torch.relu_(x)`, ...), the
in-place shape changes (`squeeze_`, `unsqueeze_`, `t_`) and the random fills
`random_` and `exponential_`.

Each computes out of place and writes back (shape_api._inplace), so it is recorded
on a non-leaf like add_ is, and refused on a leaf that requires grad.
"""
from .. import creation, errors
from ..grad_mode import grad_enabled, no_grad
from . import elementwise as E, trig as T, shape_api as s
from .torch_api import _random_fill, t

# name_ -> the op it applies in place
_UNARY = {
    'exp_': E.Exp, 'log_': E.Log, 'log1p_': E.Log1p, 'expm1_': E.Expm1, 'sqrt_': E.Sqrt,
    'square_': E.Square, 'reciprocal_': E.Reciprocal, 'sin_': E.Sin, 'cos_': E.Cos,
    'tan_': E.Tan, 'tanh_': E.Tanh, 'sigmoid_': E.Sigmoid, 'erf_': E.Erf, 'relu_': E.Relu,
    'abs_': E.Abs, 'neg_': E.Neg, 'sign_': E.Sign, 'floor_': E.Floor, 'ceil_': E.Ceil,
    'trunc_': E.Trunc, 'sinh_': T.Sinh, 'cosh_': T.Cosh, 'asin_': T.Asin, 'acos_': T.Acos,
    'atan_': T.Atan, 'asinh_': T.Asinh, 'acosh_': T.Acosh, 'atanh_': T.Atanh,
    'erfinv_': T.Erfinv,
}


def _input(t):
    """t itself, or a copy when recorded: the op may save its input for backward, and
    writing the result into t would change what it saved (PyTorch saves the original too)."""
    return E.Clone.apply(t) if t.requires_grad and grad_enabled.get() else t


def _inplace_of(name, op, operands=0):
    """Tensor.<name>: op applied in place, with `operands` more (pow_'s exponent: 1)."""
    def method(self, *other):
        if len(other) != operands:
            raise TypeError(f"{name}() takes {operands} argument{'s' * (operands != 1)} besides "
                            f"the tensor, got {len(other)}")
        return s._inplace(self, name, lambda t_: op.apply(_input(t_), *other))
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"{name[:-1]} in place (returns self)."
    return method


UNARY = {name: _inplace_of(name, op) for name, op in _UNARY.items()}
pow_, atan2_, hypot_ = (_inplace_of('pow_', E.Pow, 1), _inplace_of('atan2_', T.Atan2, 1),
                        _inplace_of('hypot_', T.Hypot, 1))


# --- shape changes in place: x takes the new shape (and, when recorded, the new node) ------
def _reshaped(x, name, compute):
    recording = x.requires_grad and grad_enabled.get()
    if recording and x._node is None:
        raise RuntimeError(f"{name}: a leaf tensor that requires grad (shape {x.shape}) can't "
                           "be changed in place; use the out-of-place form")
    if recording:
        out = compute(x)
        x._node = out._node
    else:
        with no_grad():
            out = compute(x)
    x.array = out.array
    x._bump_version()
    return x


def squeeze_(x, dim=None):
    return _reshaped(x, 'squeeze_', lambda t_: s.squeeze(t_, dim))


def unsqueeze_(x, dim):
    return _reshaped(x, 'unsqueeze_', lambda t_: s.unsqueeze(t_, dim))


def t_(x):
    return _reshaped(x, 't_', t)


def transpose_(x, dim0, dim1):
    return _reshaped(x, 'transpose_', lambda t_: s.transpose(t_, dim0, dim1))


# --- random fills ------------------------------------------------------------------------
def _full_range(x):
    """random_()'s exclusive upper bound: every integer the dtype holds exactly."""
    xp = x._backend.xp
    if x.dtype.kind == 'f':
        return 2 ** (xp.finfo(x.dtype).nmant + 1) + 1
    return 2 if x.dtype.kind == 'b' else int(xp.iinfo(x.dtype).max)


def random_(x, *args, generator=None, **kwargs):
    """Integers drawn uniformly from [from, to - 1], in x's dtype: random_(to),
    random_(from, to), random_(from=.., to=..); without `to`, up to the largest integer
    x's dtype holds exactly."""
    if len(args) > 2 or kwargs.keys() - {'from', 'to'}:
        raise errors.ArgumentError(f"random_: takes (from, to) or (to), got {args} and "
                                   f"{sorted(kwargs)}")
    given = dict(zip(('from', 'to') if len(args) == 2 else ('to',), args), **kwargs)
    low = int(given.get('from', 0))
    high = _full_range(x) if given.get('to') is None else int(given['to'])
    if low >= high:
        raise errors.ArgumentError(f"random_: expects from < to, got from={low}, to={high}")
    gen = creation.default_generator(x.device) if generator is None else generator
    return s.overwrite(x, 'random_', lambda t_: t_._backend.asarray(
        gen.integers(low, high, size=t_.shape)).astype(t_.dtype))


def exponential_(x, lambd=1.0, *, generator=None):
    """Draws from the exponential distribution of rate `lambd` (density lambd * exp(-lambd x))."""
    if not lambd > 0:
        raise errors.ArgumentError(f"exponential_: lambd must be > 0, got {lambd}")
    xp = x._backend.xp
    return _random_fill(x, 'exponential_',
                        lambda g, shape, dt: -xp.log1p(-g.random(shape, dtype=dt)) / lambd,
                        generator)
