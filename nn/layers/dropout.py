"""Dropout: inverted dropout in training mode, the identity in eval mode.

Dropout zeroes elements; Dropout1d/2d/3d zero whole channels (F.dropout1d/2d/3d)."""
from .. import functional as F
from ..module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]


class Dropout(Module):
    _fn = staticmethod(F.dropout)

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return self._fn(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zero each channel of (N, C, L) or (C, L) with probability p."""
    _fn = staticmethod(F.dropout1d)


class Dropout2d(Dropout):
    """Zero each channel of (N, C, H, W) or (C, H, W) with probability p (3-D is (N, C, L), as torch)."""
    _fn = staticmethod(F.dropout2d)


class Dropout3d(Dropout):
    """Zero each channel of (N, C, D, H, W) or (C, D, H, W) with probability p."""
    _fn = staticmethod(F.dropout3d)
