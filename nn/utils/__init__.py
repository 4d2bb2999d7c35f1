"""nn.utils: gradient clipping, flattening parameters to one vector, and (nn.utils.rnn)
padded and packed sequences."""
import math

import numpy as np

import autograd as ag

from .. import _compat
from . import rnn  # noqa: E402,F401  (nn.utils.rnn, as in PyTorch)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters",
           "rnn"]


def _as_list(parameters):
    if isinstance(parameters, ag.Tensor):
        return [parameters]
    return list(parameters)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated.
    Returns the total norm (before clipping) as a 0-d Tensor.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return ag.tensor(np.float32(0.0))
    arrays = [g.array for g in grads]
    xp = _compat.xp_of(arrays[0])
    if math.isinf(norm_type):
        norms = [xp.abs(a).max() if a.size else xp.zeros((), a.dtype) for a in arrays]
        total = xp.stack(norms).max()
    else:
        norms = [xp.sum(xp.abs(a) ** norm_type) ** (1.0 / norm_type) for a in arrays]
        total = xp.sum(xp.stack(norms) ** norm_type) ** (1.0 / norm_type)
    total_f = float(total)
    if error_if_nonfinite and not math.isfinite(total_f):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is "
                           "non-finite, so it cannot be clipped. To disable this error and scale the "
                           "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    coef = min(max_norm / (total_f + 1e-6), 1.0)
    for g in grads:
        g.array *= coef  # a Python float keeps the grad's dtype
        _compat.bump_version(g)
    return _compat.wrap(xp.asarray(total, dtype=arrays[0].dtype), like=grads[0])


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            xp = _compat.xp_of(p.grad.array)
            xp.clip(p.grad.array, -clip_value, clip_value, out=p.grad.array)
            _compat.bump_version(p.grad)


def parameters_to_vector(parameters):
    """Concatenate the parameters, flattened, into one 1-D Tensor (differentiable)."""
    params = _as_list(parameters)
    return ag.cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy slices of the 1-D Tensor ``vec`` into the parameters, in place."""
    if not isinstance(vec, ag.Tensor):
        raise TypeError(f"expected a Tensor, but got: {type(vec).__name__}")
    params = _as_list(parameters)
    total = sum(int(np.prod(p.shape)) for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ValueError(f"vector has shape {tuple(vec.shape)}, but the parameters hold {total} elements")
    pointer = 0
    with ag.no_grad():
        for p in params:
            n = int(np.prod(p.shape))
            _compat.copy_into(p, vec.array[pointer:pointer + n].reshape(p.shape))
            pointer += n
