"""Inverse trigonometric and hyperbolic functions, atan2, hypot and erfinv.

Backward formulas use the saved input or output with arithmetic and `xp.exp`
only, so each differentiates again under create_graph=True.
"""
import math

from ..function import Function
from .elementwise import as_floating
from .promotion import recompute


class _Unary(Function):
    """y = fn(x), saving x; `derivative(xp, x)` is dy/dx written with arithmetic."""
    __slots__ = ()
    fn = None

    def forward(self, xp, x):
        x = as_floating(x)
        self.save_for_backward(x)
        return getattr(xp, self.fn)(x)

    def backward(self, xp, g, x):
        return g * self.derivative(xp, x)


class Sinh(_Unary):
    __slots__ = ()
    fn = 'sinh'

    @staticmethod
    def derivative(xp, x):
        return (xp.exp(x) + xp.exp(-x)) * 0.5          # cosh, from exp (twice differentiable)


class Cosh(_Unary):
    __slots__ = ()
    fn = 'cosh'

    @staticmethod
    def derivative(xp, x):
        return (xp.exp(x) - xp.exp(-x)) * 0.5          # sinh


class Asin(_Unary):
    __slots__ = ()
    fn = 'arcsin'

    @staticmethod
    def derivative(xp, x):
        return (1 - x * x) ** -0.5


class Acos(_Unary):
    __slots__ = ()
    fn = 'arccos'

    @staticmethod
    def derivative(xp, x):
        return -(1 - x * x) ** -0.5


class Atan(_Unary):
    __slots__ = ()
    fn = 'arctan'

    @staticmethod
    def derivative(xp, x):
        return 1 / (1 + x * x)


class Asinh(_Unary):
    __slots__ = ()
    fn = 'arcsinh'

    @staticmethod
    def derivative(xp, x):
        return (x * x + 1) ** -0.5


class Acosh(_Unary):
    __slots__ = ()
    fn = 'arccosh'

    @staticmethod
    def derivative(xp, x):
        return (x * x - 1) ** -0.5


class Atanh(_Unary):
    __slots__ = ()
    fn = 'arctanh'

    @staticmethod
    def derivative(xp, x):
        return 1 / (1 - x * x)


class Erfinv(Function):
    """The inverse of erf on (-1, 1); the backends compute it (SciPy's, or a
    refined approximation without SciPy)."""
    __slots__ = ()

    def forward(self, xp, x):
        y = xp.erfinv(as_floating(x))
        self.save_for_backward(y)
        return y

    def backward(self, xp, g, y):
        return g * (math.sqrt(math.pi) / 2) * xp.exp(y * y)


class Atan2(Function):
    """atan2(a, b): the angle of the point (b, a), in PyTorch's dtype (int -> float)."""
    __slots__ = ()

    def forward(self, xp, a, b):
        self.save_for_backward(a, b)
        out = xp.arctan2(a, b)
        if out.dtype is not getattr(a, 'dtype', None):
            out = recompute(xp.arctan2, out, a, b, floating=True)
        return out

    def backward(self, xp, g, a, b):
        scale = g / (a * a + b * b)
        return scale * b, -scale * a


class Hypot(Function):
    """sqrt(a**2 + b**2) without overflow in the squares."""
    __slots__ = ()

    def forward(self, xp, a, b):
        out = xp.hypot(a, b)
        if out.dtype is not getattr(a, 'dtype', None):
            out = recompute(xp.hypot, out, a, b, floating=True)
        self.save_for_backward(a, b, out)
        return out

    def backward(self, xp, g, a, b, out):
        scale = g / out
        return scale * a, scale * b
