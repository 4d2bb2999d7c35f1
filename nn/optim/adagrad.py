"""Adagrad (lr_decay, weight decay, initial accumulator, eps, maximize), PyTorch's algorithm."""
import autograd as ag

from .. import _compat
from .optimizer import Optimizer, _check_lr, _check_nonnegative, _grad_array, _with_weight_decay

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, exactly as ``torch.optim.Adagrad``::

        t += 1;  g = grad (+ weight_decay * p);  clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g;  p = p - clr * g / (sqrt(s) + eps)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 *, maximize=False):
        _check_lr(self, lr)
        _check_nonnegative(self, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, epsilon=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        if not state:
            xp = _compat.xp_of(p.array)
            state["step"] = 0
            state["sum"] = xp.full_like(p.array, group["initial_accumulator_value"])
        return state

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr, lr_decay, eps, wd = group["lr"], group["lr_decay"], group["eps"], group["weight_decay"]
                for p in self._params_with_grad(group):
                    g = _grad_array(p, group)
                    xp = _compat.xp_of(p.array)
                    state = self._init_state(p, group)
                    state["step"] += 1
                    step = state["step"]
                    g = _with_weight_decay(g, p, wd)
                    clr = lr / (1 + (step - 1) * lr_decay)
                    s = state["sum"]
                    s += g * g
                    std = xp.sqrt(s)
                    std += eps
                    p.array -= clr * (g / std)
                    _compat.bump_version(p)
        return loss
