"""softmax and log_softmax along one dim, shifted by the max (finite for logits of 1e4)."""
from ..function import Function


class Softmax(Function):
    def forward(self, xp, x, axis):
        self.axis = axis
        e = xp.exp(x - x.max(axis=axis, keepdims=True))
        y = e / e.sum(axis=axis, keepdims=True)
        self.save_for_backward(y)
        return y

    def backward(self, xp, g, y):
        gy = g * y
        return gy - y * xp.sum(gy, axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    label = 'log_softmax'       # what error messages call it
    def forward(self, xp, x, axis):
        self.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.save_for_backward(y)
        return y

    def backward(self, xp, g, y):
        return g - xp.exp(y) * xp.sum(g, axis=self.axis, keepdims=True)
