"""Channel-wise (feature) dropout, PyTorch's F.dropout1d / dropout2d / dropout3d.

Whole channels are zeroed: one keep/drop draw per (sample, channel), broadcast over
the spatial dims, the kept channels scaled by 1/(1-p). Re-exported by nn.functional.
"""
import warnings

import autograd as ag

from .functional import _const, _xp

__all__ = ["dropout1d", "dropout2d", "dropout3d"]


def _mask_shape(shape, batched):
    """The mask's shape: (N, C, 1, ..., 1) batched, (C, 1, ..., 1) unbatched."""
    lead = 2 if batched else 1
    return tuple(shape[:lead]) + (1,) * (len(shape) - lead)


def _feature_dropout(input, p, training, batched):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    gen = ag.default_generator(input.device)
    keep = gen.random(_mask_shape(input.shape, batched)) >= p
    mask = _xp(input).asarray(keep).astype(input.dtype) * (1.0 / (1.0 - p))
    return input * _const(mask.astype(input.dtype), input)


def _warn_rank(name, spatial, ndim):
    warnings.warn(
        f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in "
        f"an error in a future release. To retain the behavior and silence this warning, "
        f"please use dropout instead. Note that {name} exists to provide channel-wise dropout "
        f"on inputs with {spatial} spatial dimensions, a channel dimension, and an optional "
        f"batch dimension (i.e. {spatial + 1}D or {spatial + 2}D inputs).", stacklevel=3)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, L) or (C, L) input with probability p."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _feature_dropout(input, p, training, batched=input.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, H, W) or (C, H, W) input with probability p.

    As torch today, a 3-D input is read as (N, C, L) (with a warning), not as (C, H, W)."""
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    elif input.ndim != 4:
        _warn_rank("dropout2d", 2, input.ndim)
    return _feature_dropout(input, p, training, batched=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input with probability p."""
    if input.ndim not in (4, 5):
        _warn_rank("dropout3d", 3, input.ndim)
    return _feature_dropout(input, p, training, batched=input.ndim != 4)
