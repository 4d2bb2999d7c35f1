"""Adadelta (lr, rho, eps, weight decay, maximize), PyTorch's algorithm."""
import autograd as ag

from .. import _compat
from .optimizer import Optimizer, _check_lr, _check_nonnegative, _grad_array, _with_weight_decay

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, exactly as ``torch.optim.Adadelta``::

        g = grad (+ weight_decay * p);  v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g;  u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        _check_lr(self, lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"{type(self).__name__}: Invalid rho value: {rho}")
        _check_nonnegative(self, epsilon=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
                for p in self._params_with_grad(group):
                    g = _with_weight_decay(_grad_array(p, group), p, wd)
                    xp = _compat.xp_of(p.array)
                    state = self._step_state(p, ("square_avg", "acc_delta"))
                    v, u = state["square_avg"], state["acc_delta"]
                    v *= rho
                    v += (1 - rho) * g * g
                    std = xp.sqrt(v + eps)
                    delta = xp.sqrt(u + eps)
                    delta /= std
                    delta *= g
                    u *= rho
                    u += (1 - rho) * delta * delta
                    p.array -= lr * delta
                    _compat.bump_version(p)
        return loss
