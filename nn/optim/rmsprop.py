"""RMSprop (alpha, eps, weight decay, momentum, centered, maximize), PyTorch's algorithm."""
import autograd as ag

from .. import _compat
from .optimizer import Optimizer, _check_lr, _check_nonnegative, _grad_array, _lerp_, _with_weight_decay

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, exactly as ``torch.optim.RMSprop``::

        g = grad (+ weight_decay * p);  v = alpha * v + (1 - alpha) * g * g
        centered: ga = lerp(ga, g, 1 - alpha);  avg = sqrt(v - ga * ga) + eps;  else avg = sqrt(v) + eps
        momentum > 0: b = momentum * b + g / avg;  p = p - lr * b
        else:         p = p - lr * g / avg
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 *, maximize=False):
        _check_lr(self, lr)
        _check_nonnegative(self, epsilon=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with ag.no_grad():
            for group in self.param_groups:
                lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
                wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
                buffers = (("square_avg",) + (("momentum_buffer",) if momentum > 0 else ())
                           + (("grad_avg",) if centered else ()))
                for p in self._params_with_grad(group):
                    g = _with_weight_decay(_grad_array(p, group), p, wd)
                    xp = _compat.xp_of(p.array)
                    state = self._step_state(p, buffers)
                    sq = state["square_avg"]
                    sq *= alpha
                    sq += (1 - alpha) * g * g
                    if centered:
                        ga = state["grad_avg"]
                        _lerp_(ga, g, 1 - alpha)
                        avg = xp.sqrt(sq - ga * ga)
                    else:
                        avg = xp.sqrt(sq)
                    avg += eps
                    if momentum > 0:
                        buf = state["momentum_buffer"]
                        buf *= momentum
                        buf += g / avg
                        p.array -= lr * buf
                    else:
                        p.array -= lr * (g / avg)
                    _compat.bump_version(p)
        return loss
