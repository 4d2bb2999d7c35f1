"""Adam and AdamW (amsgrad, weight decay, maximize), PyTorch's single-tensor algorithm."""
import math

import autograd as ag

from .. import _compat
from .optimizer import Optimizer, _check_lr, _check_nonnegative, _grad_array, _lerp_, _with_weight_decay

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam, exactly as ``torch.optim.Adam``::

        t += 1;  g = grad (+ weight_decay * p, or AdamW: p *= 1 - lr * weight_decay)
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v) (amsgrad);  denom = sqrt(v or v_max) / sqrt(1 - beta2**t) + eps
        p = p - lr / (1 - beta1**t) * m / denom
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 *, maximize=False):
        _check_lr(self, lr)
        _check_nonnegative(self, epsilon=eps)
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{type(self).__name__}: Invalid beta parameter at index {i}: {beta}")
        _check_nonnegative(self, weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
                wd, amsgrad = group["weight_decay"], group["amsgrad"]
                buffers = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
                fused = ag.backends.fused_enabled() and not amsgrad
                for p in self._params_with_grad(group):
                    g = _grad_array(p, group)
                    state = self._step_state(p, buffers)
                    step, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
                    if fused and p._backend.is_gpu and p._backend.adam_update(
                            p.array, g, m, v, lr, beta1, beta2, eps, wd, step, self._decoupled):
                        _compat.bump_version(p)     # one fused kernel did the step
                        continue
                    if self._decoupled:
                        if wd != 0:
                            p.array *= 1 - lr * wd
                    else:
                        g = _with_weight_decay(g, p, wd)
                    xp = _compat.xp_of(p.array)
                    _lerp_(m, g, 1 - beta1)
                    v *= beta2
                    v += (1 - beta2) * g * g
                    bias_correction1 = 1 - beta1 ** step
                    bias_correction2 = 1 - beta2 ** step
                    step_size = lr / bias_correction1
                    bc2_sqrt = math.sqrt(bias_correction2)
                    if amsgrad:
                        vmax = state["max_exp_avg_sq"]
                        xp.maximum(vmax, v, out=vmax)
                        v = vmax
                    denom = xp.sqrt(v) / bc2_sqrt
                    denom += eps
                    p.array -= step_size * (m / denom)
                    _compat.bump_version(p)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (``p *= 1 - lr * weight_decay`` before the update)."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
