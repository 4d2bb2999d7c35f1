"""Adam and AdamW (amsgrad, weight decay, maximize), PyTorch's single-tensor algorithm."""
import math

import autograd as ag

from .. import _compat
from .optimizer import Optimizer, _check_lr, _grad_array, _lerp_

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
        if not 0.0 <= eps:
            raise ValueError(f"{type(self).__name__}: Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"{type(self).__name__}: Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"{type(self).__name__}: Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"{type(self).__name__}: Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
                wd, amsgrad = group["weight_decay"], group["amsgrad"]
                fused = ag.backends.fused_enabled() and not amsgrad
                for p in self._params_with_grad(group):
                    g = _grad_array(p, group)
                    xp = _compat.xp_of(p.array)
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["exp_avg"] = xp.zeros_like(p.array)
                        state["exp_avg_sq"] = xp.zeros_like(p.array)
                        if amsgrad:
                            state["max_exp_avg_sq"] = xp.zeros_like(p.array)
                    state["step"] += 1
                    step = state["step"]
                    if fused and p._backend.is_gpu:
                        # one fused kernel for the whole update (ag.backends.set_fused)
                        p._backend.adam_update(p.array, g, state["exp_avg"], state["exp_avg_sq"], lr,
                                               beta1, beta2, eps, wd, step, decoupled=self._decoupled)
                        _compat.bump_version(p)
                        continue
                    if wd != 0:
                        if self._decoupled:
                            p.array *= 1 - lr * wd
                        else:
                            g = g + wd * p.array
                    m, v = state["exp_avg"], state["exp_avg_sq"]
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
                        denom = xp.sqrt(vmax) / bc2_sqrt
                    else:
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
