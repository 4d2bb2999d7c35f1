"""Reductions: sum, mean, prod, amax/amin, logsumexp, norm.

`axes` is normalised once in forward to a tuple of non-negative dims; the
backward expands the gradient back over them (the output is 0-d when all
dims are reduced, never a NumPy scalar: `apply` sees to that).
"""
from ..function import Function


def normalize_axes(axis, ndim, op):
    """None -> all dims; int or tuple -> sorted tuple of non-negative dims (checked)."""
    if axis is None:
        return tuple(range(ndim))
    dims = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"{op}: dim {d} is out of range for a tensor of {ndim} dimensions; "
                             f"dims go from {-max(ndim, 1)} to {max(ndim, 1) - 1}")
        out.append(d % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dim {d} appears more than once in {axis}")
    return tuple(sorted(out))


class _Reduction(Function):
    """Shared bookkeeping: the axes, keepdims, and expanding a gradient back."""

    def setup(self, x, axis, keepdims):
        axes = normalize_axes(axis, x.ndim, self.name.lower())    # a 0-d tensor takes -1 or 0
        self.axes = axes if x.ndim else ()
        self.keepdims = keepdims
        self.shape = x.shape

    def expand(self, xp, g):
        """The output gradient broadcast back to the input's shape."""
        if not self.keepdims and self.axes:
            g = xp.expand_dims(g, self.axes)
        return xp.broadcast_to(g, self.shape)

    def keep(self, xp, y):
        return y if self.keepdims or not self.axes else xp.expand_dims(y, self.axes)


class Sum(_Reduction):
    def forward(self, xp, x, axis=None, keepdims=False):
        self.setup(x, axis, keepdims)
        return x.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, xp, g):
        return self.expand(xp, g)


class Mean(_Reduction):
    def forward(self, xp, x, axis=None, keepdims=False):
        self.setup(x, axis, keepdims)
        self.count = 1
        for d in self.axes:
            self.count *= x.shape[d]
        return x.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, xp, g):
        return self.expand(xp, g / self.count)


class Prod(_Reduction):
    """The gradient of each element is the product of the others (exact with zeros)."""
    def forward(self, xp, x, axis=None, keepdims=False):
        self.setup(x, axis, keepdims)
        self.save_for_backward(x)
        return x.prod(axis=self.axes, keepdims=keepdims)

    def backward(self, xp, g, x):
        rest = [d for d in range(x.ndim) if d not in self.axes]
        moved = xp.transpose(x, rest + list(self.axes))           # reduced dims last
        flat = xp.reshape(moved, tuple(moved.shape[:len(rest)]) + (-1,))
        others = xp.reshape(xp.prod_others(flat, -1), moved.shape)
        order = rest + list(self.axes)
        inverse = [order.index(d) for d in range(x.ndim)]
        return self.expand(xp, g) * xp.transpose(others, inverse)


class _Extreme(_Reduction):
    """amax / amin: ties share the gradient evenly (PyTorch's rule)."""
    pick = None

    def forward(self, xp, x, axis=None, keepdims=False):
        self.setup(x, axis, keepdims)
        y = getattr(x, self.pick)(axis=self.axes, keepdims=True)
        hit = (x == y).astype(x.dtype)
        # the weights are piecewise constant in x: saving them is exact to any order
        self.save_for_backward(hit / hit.sum(axis=self.axes, keepdims=True))
        return y if keepdims else y.reshape([n for d, n in enumerate(x.shape) if d not in self.axes])

    def backward(self, xp, g, weights):
        return self.expand(xp, g) * weights


class Amax(_Extreme):
    pick = 'max'


class Amin(_Extreme):
    pick = 'min'


class LogSumExp(_Reduction):
    """log(sum(exp(x))) shifted by the max: finite for logits of 1e4; all -inf gives
    -inf with a zero gradient, not NaN."""
    def forward(self, xp, x, axis=None, keepdims=False):
        self.setup(x, axis, keepdims)
        m = x.max(axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        y = xp.log(xp.exp(x - m).sum(axis=self.axes, keepdims=True)) + m
        if not keepdims:
            y = y.reshape([n for d, n in enumerate(x.shape) if d not in self.axes])
        self.save_for_backward(x, y)
        return y

    def backward(self, xp, g, x, y):
        yk = self.keep(xp, y)
        yk = xp.where(xp.isfinite(yk), yk, 0)
        return self.expand(xp, g) * xp.exp(x - yk)


class Norm2(_Reduction):
    """The 2-norm; its gradient x/|x| is taken as 0 where the norm is 0."""
    def forward(self, xp, x, axis=None, keepdims=False):
        self.setup(x, axis, keepdims)
        y = xp.sqrt((x * x).sum(axis=self.axes, keepdims=keepdims))
        self.save_for_backward(x, y)
        return y

    def backward(self, xp, g, x, y):
        yk = self.keep(xp, y)
        safe = xp.where(yk == 0, 1, yk)
        return self.expand(xp, g) * x / safe
