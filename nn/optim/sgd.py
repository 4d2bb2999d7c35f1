"""SGD with momentum, dampening, Nesterov, weight decay and maximize (PyTorch's algorithm)."""
import autograd as ag

from .. import _compat
from .optimizer import Optimizer, _check_lr, _check_nonnegative, _grad_array, _with_weight_decay

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, exactly as ``torch.optim.SGD``::

        g = grad (+ weight_decay * p);  (maximize: g = -grad ...)
        momentum: b = g on the first step, else b = momentum * b + (1 - dampening) * g
                  g = g + momentum * b (nesterov) or g = b
        p = p - lr * g
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False):
        _check_lr(self, lr)
        _check_nonnegative(self, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"{type(self).__name__}: Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
                wd, nesterov = group["weight_decay"], group["nesterov"]
                fused = ag.backends.fused_enabled()
                for p in self._params_with_grad(group):
                    g = _grad_array(p, group)
                    buf = self.state[p].get("momentum_buffer") if momentum != 0 else None
                    if fused and p._backend.is_gpu and p._backend.sgd_update(
                            p.array, g, buf, lr, momentum, dampening, wd, nesterov):
                        _compat.bump_version(p)     # one fused kernel did the step
                        continue
                    g = _with_weight_decay(g, p, wd)
                    if momentum != 0:
                        if buf is None:
                            buf = self.state[p]["momentum_buffer"] = g.copy()
                        else:
                            buf *= momentum
                            buf += (1 - dampening) * g
                        g = g + momentum * buf if nesterov else buf
                    _compat.add_scaled_(p.array, g, -lr)
                    _compat.bump_version(p)
        return loss
