"""Shape ops: reshape, permute, expand, flip, roll, repeat, cat, stack, pad, to(device).

Views (reshape, permute, expand) share the input's version counter, so an
in-place change through a view is seen by anything that saved the base.
"""
from ..function import Function
from ..tensor import Tensor
from .promotion import recompute


class Reshape(Function):
    is_view = True

    def forward(self, xp, x, shape):
        self.in_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"cannot reshape a tensor of shape {tuple(x.shape)} ({x.size} "
                             f"elements) into shape {tuple(shape)}") from None

    def backward(self, xp, g):
        return xp.reshape(g, self.in_shape)


class Permute(Function):
    is_view = True

    def forward(self, xp, x, dims):
        if sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
            raise ValueError(f"dims {tuple(dims)} are not a permutation of the {x.ndim} "
                             "dimensions")
        self.dims = [d % x.ndim for d in dims]
        return xp.transpose(x, self.dims)

    def backward(self, xp, g):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return xp.transpose(g, inverse)


class Expand(Function):
    """broadcast_to / expand: a read-only view; the engine sums the gradient back."""
    is_view = True

    def forward(self, xp, x, shape):
        try:
            return xp.broadcast_to(x, shape)
        except ValueError:
            raise ValueError(f"can't expand shape {tuple(x.shape)} to {tuple(shape)}: each dim "
                             "must match or be 1 in the tensor") from None

    def backward(self, xp, g):
        return g


class Flip(Function):
    def forward(self, xp, x, dims):
        self.dims = dims
        return xp.flip(x, dims).copy()

    def backward(self, xp, g):
        return xp.flip(g, self.dims)


class Roll(Function):
    def forward(self, xp, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return xp.roll(x, shifts, dims)

    def backward(self, xp, g):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return xp.roll(g, back, self.dims)


class Repeat(Function):
    """PyTorch's repeat (NumPy's tile): the gradient sums the copies."""
    def forward(self, xp, x, reps):
        if len(reps) < x.ndim:
            raise ValueError(f"repeat needs at least as many repeats ({len(reps)}) as the "
                             f"tensor has dimensions ({x.ndim})")
        self.reps = reps
        self.shape = (1,) * (len(reps) - x.ndim) + x.shape
        return xp.tile(x.reshape(self.shape), reps)

    def backward(self, xp, g):
        split = []
        for r, n in zip(self.reps, self.shape):
            split += [r, n]
        g = xp.reshape(g, tuple(split))
        g = xp.sum(g, axis=tuple(range(0, len(split), 2)))
        return g


class Cat(Function):
    def forward(self, xp, *arrays, axis=0):
        self.axis = axis % max(arrays[0].ndim, 1)
        self.sizes = [a.shape[self.axis] for a in arrays]
        out = xp.concatenate(arrays, axis=axis)
        if out.dtype is not arrays[0].dtype:            # mixed dtypes: PyTorch's promotion
            out = recompute(lambda *xs: xp.concatenate(xs, axis=axis), out, *arrays)
        return out

    def backward(self, xp, g):
        grads, start = [], 0
        lead = (slice(None),) * self.axis
        for n in self.sizes:
            grads.append(g[lead + (slice(start, start + n),)])
            start += n
        return tuple(grads)


class Stack(Function):
    def forward(self, xp, *arrays, axis=0):
        self.axis = axis % (arrays[0].ndim + 1)
        self.count = len(arrays)
        out = xp.stack(arrays, axis=axis)
        if out.dtype is not arrays[0].dtype:
            out = recompute(lambda *xs: xp.stack(xs, axis=axis), out, *arrays)
        return out

    def backward(self, xp, g):
        lead = (slice(None),) * self.axis
        return tuple(g[lead + (i,)] for i in range(self.count))


class Pad(Function):
    """Constant padding; `widths` is NumPy's per-dim ((before, after), ...)."""
    def forward(self, xp, x, widths, value=0):
        self.crop = tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape))
        return xp.pad(x, widths, mode='constant', constant_values=value)

    def backward(self, xp, g):
        return g[self.crop]


class ToDevice(Function):
    """Copy to another device; the gradient is copied back."""
    @classmethod
    def apply(cls, x, backend):
        out = Function.apply.__func__(cls, x, source=x._backend, target=backend)
        out._backend = backend          # apply labels outputs with the input's device
        return out

    def forward(self, xp, x, source, target):
        self.source, self.target = source, target
        return target.from_numpy(source.to_numpy(x))

    def backward(self, xp, g):
        if isinstance(g, Tensor):
            return g.to(self.source.name)
        return self.source.from_numpy(self.target.to_numpy(g))
