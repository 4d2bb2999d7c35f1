"""Elementwise ops: arithmetic and math functions.

Binary ops take Tensors or Python scalars; a scalar takes the tensor's dtype
(NumPy 2's weak scalars: float32 * 2.0 stays float32). Operands of different dtypes
follow PyTorch's promotion: each binary forward checks that its result kept the first
operand's dtype (one comparison, true whenever the dtypes match) and otherwise lets
promotion.py recompute it. Broadcast gradients are reduced by the engine, so backward
returns them at the output's shape.
"""
import math
import operator

from ..dtypes import _default as _default_float
from ..function import Function
from .promotion import recompute


def as_floating(x):
    """Integer and bool arrays in the default float dtype, as PyTorch computes its floating
    point ops (NumPy would give float64, float16 or, for erf, the integer dtype). The ops
    test the dtype inline before calling it: a wrapper around forward cost ~700
    instructions per call, counted with callgrind."""
    return x if x.dtype.kind in 'fc' else x.astype(_default_float[0])


_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


# --- arithmetic --------------------------------------------------------------
class Add(Function):
    __slots__ = ()

    def forward(self, xp, a, b):
        out = a + b
        if out.dtype is not a.dtype:        # `a` is always an array here: + and * take it first
            out = recompute(operator.add, out, a, b)
        return out

    def backward(self, xp, g):
        return g, g


class Sub(Function):
    __slots__ = ()

    def forward(self, xp, a, b):
        out = a - b
        if out.dtype is not getattr(a, 'dtype', None):
            out = recompute(operator.sub, out, a, b)
        return out

    def backward(self, xp, g):
        return g, -g if self.needs_grad(1) else None


class Mul(Function):
    __slots__ = ()

    def forward(self, xp, a, b):
        # save only what a gradient needs: x.mul_(2) then never trips the version check
        edges = self.edges
        if edges is not None:
            self.saved = (b if edges[0] is not None else None, a if edges[1] is not None else None)
        out = a * b
        if out.dtype is not a.dtype:
            out = recompute(operator.mul, out, a, b)
        return out

    def backward(self, xp, g, b, a):
        return (g * b if b is not None else None), (g * a if a is not None else None)


class Div(Function):
    __slots__ = ()

    def forward(self, xp, a, b):
        out = a / b
        if out.dtype is not getattr(a, 'dtype', None):      # int / int -> float32, too
            out = recompute(operator.truediv, out, a, b, floating=True)
        self.save_for_backward(a if self.needs_grad(1) else None, b)
        return out

    def backward(self, xp, g, a, b):
        ga = g / b
        return ga, (-ga * a / b if a is not None else None)


class Neg(Function):
    __slots__ = ()

    def forward(self, xp, a):
        return -a

    def backward(self, xp, g):
        return -g


class Pow(Function):
    __slots__ = ()

    def forward(self, xp, a, b):
        y = a ** b
        if y.dtype is not getattr(a, 'dtype', None):
            y = recompute(operator.pow, y, a, b)
        self.save_for_backward(a, b, y if self.needs_grad(1) else None)
        return y

    def backward(self, xp, g, a, b, y):
        # d(a**b)/da = b * a**(b-1), and 0 where b == 0 (as PyTorch): at a = 0 the power
        # 0**-1 = inf would make 0 * inf = NaN, so the base is 1 at exactly those places
        ga = None
        if self.needs_grad(0) and isinstance(b, (int, float)):
            ga = g * b * a ** (b - 1) if b else g * 0
        elif self.needs_grad(0):
            ga = g * b * xp.where(a == 0, xp.where(b == 0, 1, a), a) ** (b - 1)
        # d(a**b)/db = a**b * log(a); at a = 0 (b >= 0) it is 0, as PyTorch: log of 1 there
        # instead of log(0) = -inf, which would make 0 * -inf = NaN
        gb = g * y * xp.log(xp.where(a == 0, 1, a)) if y is not None else None
        return ga, gb


# --- unary math ----------------------------------------------------------------
class Exp(Function):
    __slots__ = ()

    def forward(self, xp, x):
        if x.dtype.kind not in 'fc':      # PyTorch computes in floating point
            x = as_floating(x)
        y = xp.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, xp, g, y):
        return g * y


class Log(Function):
    __slots__ = ()

    def forward(self, xp, x):
        if x.dtype.kind not in 'fc':      # PyTorch computes in floating point
            x = as_floating(x)
        self.save_for_backward(x)
        return xp.log(x)

    def backward(self, xp, g, x):
        return g / x


class Log1p(Function):
    __slots__ = ()

    def forward(self, xp, x):
        if x.dtype.kind not in 'fc':      # PyTorch computes in floating point
            x = as_floating(x)
        self.save_for_backward(x)
        return xp.log1p(x)

    def backward(self, xp, g, x):
        return g / (x + 1)


class Expm1(Function):
    __slots__ = ()

    def forward(self, xp, x):
        if x.dtype.kind not in 'fc':      # PyTorch computes in floating point
            x = as_floating(x)
        y = xp.expm1(x)
        self.save_for_backward(y)
        return y

    def backward(self, xp, g, y):
        return g * (y + 1)


class Sqrt(Function):
    __slots__ = ()

    def forward(self, xp, x):
        if x.dtype.kind not in 'fc':      # PyTorch computes in floating point
            x = as_floating(x)
        y = xp.sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, xp, g, y):
        return g * 0.5 / y


class Square(Function):
    __slots__ = ()

    def forward(self, xp, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, xp, g, x):
        return g * 2 * x


class Reciprocal(Function):
    __slots__ = ()

    def forward(self, xp, x):
        if x.dtype.kind not in 'fc':      # PyTorch computes in floating point
            x = as_floating(x)
        y = 1 / x
        self.save_for_backward(y)
        return y

    def backward(self, xp, g, y):
        return -g * y * y


class Sin(Function):
    __slots__ = ()

    def forward(self, xp, x):
        if x.dtype.kind not in 'fc':      # PyTorch computes in floating point
            x = as_floating(x)
        self.save_for_backward(x)
        return xp.sin(x)

    def backward(self, xp, g, x):
        return g * xp.cos(x)


class Cos(Function):
    __slots__ = ()

    def forward(self, xp, x):
        if x.dtype.kind not in 'fc':      # PyTorch computes in floating point
            x = as_floating(x)
        self.save_for_backward(x)
        return xp.cos(x)

    def backward(self, xp, g, x):
        return -g * xp.sin(x)


class Tan(Function):
    __slots__ = ()

    def forward(self, xp, x):
        if x.dtype.kind not in 'fc':      # PyTorch computes in floating point
            x = as_floating(x)
        y = xp.tan(x)
        self.save_for_backward(y)
        return y

    def backward(self, xp, g, y):
        return g * (1 + y * y)


class Tanh(Function):
    __slots__ = ()

    def forward(self, xp, x):
        if x.dtype.kind not in 'fc':      # PyTorch computes in floating point
            x = as_floating(x)
        y = xp.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, xp, g, y):
        return g * (1 - y * y)


class Sigmoid(Function):
    __slots__ = ()

    def forward(self, xp, x):
        if x.dtype.kind not in 'fc':      # PyTorch computes in floating point
            x = as_floating(x)
        y = xp.tanh(x * 0.5)        # sigmoid(x) = (1 + tanh(x/2)) / 2: no overflow for any x
        y += 1
        y *= 0.5
        self.save_for_backward(y)
        return y

    def backward(self, xp, g, y):
        return g * y * (1 - y)


class Erf(Function):
    __slots__ = ()

    def forward(self, xp, x):
        if x.dtype.kind not in 'fc':      # PyTorch computes in floating point
            x = as_floating(x)
        self.save_for_backward(x)
        return xp.erf(x)

    def backward(self, xp, g, x):
        return g * (2 / math.sqrt(math.pi)) * xp.exp(-x * x)


# --- activations ---------------------------------------------------------------
class Relu(Function):
    __slots__ = ()

    def forward(self, xp, x):
        y = xp.maximum(x, 0)
        self.save_for_backward(y)
        return y

    def backward(self, xp, g, y):
        return xp.mask_grad(y > 0, g)


class LeakyRelu(Function):
    __slots__ = ('slope',)

    def forward(self, xp, x, slope):
        self.slope = slope
        self.save_for_backward(x)
        return xp.where(x > 0, x, x * slope)

    def backward(self, xp, g, x):
        return xp.where(x > 0, g, g * self.slope)


class Elu(Function):
    __slots__ = ('alpha',)

    def forward(self, xp, x, alpha):
        self.alpha = alpha
        y = xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))
        self.save_for_backward(x, y)
        return y

    def backward(self, xp, g, x, y):
        return xp.where(x > 0, g, g * (y + self.alpha))


class Gelu(Function):
    __slots__ = ('approximate',)
    # Past |x| = 40 tanh and erf are exactly +-1 and the Gaussian exactly 0, so the cubes
    # and squares are taken of x clipped there: the same results, without overflowing
    # (and warning) for huge x.
    CLIP = 40.0

    def forward(self, xp, x, approximate):
        self.approximate = approximate
        self.save_for_backward(x)
        if approximate == 'tanh':
            c = xp.clip(x, -self.CLIP, self.CLIP)
            return 0.5 * x * (1 + xp.tanh(_SQRT_2_OVER_PI * (c + 0.044715 * c * c * c)))
        return 0.5 * x * (1 + xp.erf(x * _SQRT1_2))

    def backward(self, xp, g, x):
        c = xp.clip(x, -self.CLIP, self.CLIP)
        if self.approximate == 'tanh':
            t = xp.tanh(_SQRT_2_OVER_PI * (c + 0.044715 * c * c * c))
            dt = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * c * c)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dt)
        cdf = 0.5 * (1 + xp.erf(x * _SQRT1_2))
        pdf = xp.exp(-0.5 * c * c) * _INV_SQRT_2PI
        return g * (cdf + x * pdf)


class Softplus(Function):
    __slots__ = ('beta', 'threshold')

    def forward(self, xp, x, beta, threshold):
        self.beta, self.threshold = beta, threshold
        self.save_for_backward(x)
        bx = x * beta
        # log(1 + e^bx) / beta without overflow; linear above the threshold, as PyTorch
        return xp.where(bx > threshold, x, xp.logaddexp(0, bx) / beta)

    def backward(self, xp, g, x):
        bx = x * self.beta
        s = 0.5 * (1 + xp.tanh(0.5 * bx))             # sigmoid(bx)
        return xp.where(bx > self.threshold, g, g * s)


class Abs(Function):
    __slots__ = ()

    def forward(self, xp, x):
        self.save_for_backward(x)
        return xp.abs(x)

    def backward(self, xp, g, x):
        return g * xp.sign(x)


class Sign(Function):
    __slots__ = ()

    def forward(self, xp, x):
        return xp.sign(x)

    def backward(self, xp, g):
        return xp.zeros_like(g)


class _Rounding(Function):
    """floor, ceil, round, trunc: piecewise constant, so the gradient is zero (PyTorch's
    convention), not undefined."""
    __slots__ = ()
    fn = None

    def forward(self, xp, x, decimals=0):
        if decimals:
            return xp.round(x, decimals)
        return getattr(xp, self.fn)(x)

    def backward(self, xp, g):
        return xp.zeros_like(g)


class Floor(_Rounding):
    __slots__ = ()
    fn = 'floor'


class Ceil(_Rounding):
    __slots__ = ()
    fn = 'ceil'


class Round(_Rounding):
    __slots__ = ()
    fn = 'round'          # half to even, as torch.round and numpy.round


class Trunc(_Rounding):
    __slots__ = ()
    fn = 'trunc'


def _promoted(fn, a, b):
    """fn(a, b) in PyTorch's result dtype (the check the arithmetic ops make inline)."""
    out = fn(a, b)
    if out.dtype is not getattr(a, 'dtype', None):
        out = recompute(fn, out, a, b)
    return out


class FloorDivide(Function):
    """a // b, rounded toward minus infinity (torch.floor_divide); zero gradient."""
    __slots__ = ()

    def forward(self, xp, a, b):
        return _promoted(xp.floor_divide, a, b)

    def backward(self, xp, g):
        return xp.zeros_like(g), (xp.zeros_like(g) if self.needs_grad(1) else None)


class Remainder(Function):
    """a - b * floor(a / b): the sign of b, as Python's % and torch.remainder.
    d/da = 1, d/db = -floor(a / b) (away from the jumps, where a / b is an integer)."""
    __slots__ = ()

    def forward(self, xp, a, b):
        if self.needs_grad(1):
            self.save_for_backward(a, b)
        return _promoted(xp.remainder, a, b)

    def backward(self, xp, g, a=None, b=None):
        return g, (-g * xp.floor(a / b) if self.needs_grad(1) else None)


class Fmod(Function):
    """a - b * trunc(a / b): the sign of a, as C's fmod and torch.fmod.
    d/da = 1, d/db = -trunc(a / b)."""
    __slots__ = ()

    def forward(self, xp, a, b):
        if self.needs_grad(1):
            self.save_for_backward(a, b)
        return _promoted(xp.fmod, a, b)

    def backward(self, xp, g, a=None, b=None):
        return g, (-g * xp.trunc(a / b) if self.needs_grad(1) else None)


class Clamp(Function):
    __slots__ = ()

    def forward(self, xp, x, min=None, max=None):
        if min is None and max is None:
            raise ValueError("at least one of min and max must be given")
        inside = True
        if min is not None:
            inside = x >= min
        if max is not None:
            inside = inside & (x <= max)
        self.save_for_backward(inside)
        return xp.clip(x, min, max)

    def backward(self, xp, g, inside):
        return xp.mask_grad(inside, g)


class Maximum(Function):
    """Ties split the gradient evenly, as PyTorch."""
    __slots__ = ()

    def forward(self, xp, a, b):
        self.save_for_backward(a, b)
        return _promoted(xp.maximum, a, b)

    def backward(self, xp, g, a, b):
        ga = xp.where(a > b, g, xp.where(a == b, g * 0.5, 0))
        return ga, g - ga


class Minimum(Function):
    __slots__ = ()

    def forward(self, xp, a, b):
        self.save_for_backward(a, b)
        return _promoted(xp.minimum, a, b)

    def backward(self, xp, g, a, b):
        ga = xp.where(a < b, g, xp.where(a == b, g * 0.5, 0))
        return ga, g - ga


class Where(Function):
    __slots__ = ()

    def forward(self, xp, cond, a, b):
        self.save_for_backward(cond)
        return _promoted(lambda a, b: xp.where(cond, a, b), a, b)

    def backward(self, xp, g, cond):
        return None, xp.where(cond, g, 0), xp.where(cond, 0, g)


class Cast(Function):
    """dtype conversion; the engine casts the gradient back to the input's dtype."""
    __slots__ = ()

    def forward(self, xp, x, dtype):
        return x.astype(dtype)

    def backward(self, xp, g):
        return g


class Clone(Function):
    __slots__ = ()

    def forward(self, xp, x):
        return x.copy()

    def backward(self, xp, g):
        return g

