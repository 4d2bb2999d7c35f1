"""L-BFGS with an optional strong-Wolfe line search: torch.optim.LBFGS's algorithm.

The parameters are handled as one flat vector (their gradients concatenated in
parameter order). Each ``step(closure)`` runs up to ``max_iter`` quasi-Newton
iterations: the search direction comes from the two-loop recursion over the last
``history_size`` (s, y) pairs with the initial Hessian ys/yy; the step is ``lr``
(the first ever step: ``min(1, 1/|g|_1) * lr``), or what the strong-Wolfe line search
(cubic interpolation, c1=1e-4, c2=0.9) finds. It stops on a small gradient
(``tolerance_grad``), a small step or loss change (``tolerance_change``) or
``max_eval`` closure calls. Arithmetic is in the parameters' dtype, in the same order
as torch's, and its fused multiply-adds are rounded once as torch's are, so
trajectories follow torch's (float64 Rosenbrock runs agree to 1e-9; float32 ones were
bit-identical in three of the four settings compared).
"""
import numpy as np

import autograd as ag

from .. import _compat
from .optimizer import Optimizer, _check_lr

__all__ = ["LBFGS"]


def _axpy(y, a, x):
    """y + a x rounded once, as torch's ``y.add_(x, alpha=a)`` (a fused multiply-add):
    float32 and float16 go through float64, where the product of two float32 values
    is exact; float64 is computed plainly."""
    if y.dtype.itemsize >= 8:
        return y + a * x
    a = y.dtype.type(a)                      # torch casts alpha to the tensor's dtype first
    return (y.astype("float64") + float(a) * x.astype("float64")).astype(y.dtype)


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, slope g1) and (x2, f2, slope g2), clipped
    to ``bounds`` (default: between x1 and x2); their midpoint when the cubic has none."""
    xmin_bound, xmax_bound = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)             # correctly rounded in float32 too, as torch's
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Line search along d from loss f, gradient g, slope gtd, first trying step t.

    Bracketing phase (grow t by cubic extrapolation until the Armijo condition fails,
    the loss rises or the slope turns), then zoom phase (shrink the bracket by cubic
    interpolation, keeping trials 10% away from its ends when progress stalls), until
    f(t) <= f + c1 t gtd and |slope(t)| <= -c2 gtd. Returns (f, g, t, evaluations)."""
    d_norm = abs(d).max()
    f_new, g_new = obj_func(t, d)
    evals, gtd_new = 1, g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done, ls_iter = False, 0
    while ls_iter < max_ls:
        armijo_fails = f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev)
        if not armijo_fails and abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if armijo_fails or gtd_new >= 0:                    # a minimum lies in [t_prev, t]
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        # extrapolate: the next trial lies in [t + 0.01 (t - t_prev), 10 t]
        t_prev, t = t, _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                          bounds=(t + 0.01 * (t - t_prev), t * 10))
        f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
        f_new, g_new = obj_func(t, d)
        evals, gtd_new = evals + 1, g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    insuf_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break                                           # the bracket is too small
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        lo, hi = min(bracket), max(bracket)
        eps = 0.1 * (hi - lo)
        if min(hi - t, t - lo) < eps:                       # too close to an end
            if insuf_progress or t >= hi or t <= lo:
                t = hi - eps if abs(t - hi) < abs(t - lo) else lo + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(t, d)
        evals, gtd_new = evals + 1, g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low]:
            # not a sufficient decrease, or no lower than the low end: new high end
            bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True                                 # strong Wolfe conditions hold
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = t, f_new, g_new, gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    """``LBFGS(params, lr=1, max_iter=20, max_eval=None (max_iter * 5 // 4),
    tolerance_grad=1e-7, tolerance_change=1e-9, history_size=100, line_search_fn=None)``;
    ``step(closure)`` needs the closure (it re-evaluates the loss and its gradients) and
    returns the first loss it computed. One parameter group only, as torch."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _check_lr(self, lr)
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{line_search_fn!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size,
                        line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._params = self.param_groups[0]["params"]

    def _check_loaded_state(self, index, p, values):
        # the state lives on the first parameter but its vectors span all of them
        n = sum(q.numel() for q in self._params)
        vectors = [values.get("d"), values.get("prev_flat_grad")]
        vectors += list(values.get("old_dirs") or []) + list(values.get("old_stps") or [])
        for v in vectors:
            if v is not None and tuple(v.shape) != (n,):
                raise ValueError(
                    f"LBFGS.load_state_dict: a saved direction or gradient has shape "
                    f"{tuple(v.shape)} but the parameters hold {n} elements in all; the state "
                    "dict was saved for other parameters (load it into an optimizer over the "
                    "same model)")

    # ---------------------------------------------------------- the flat vector
    def _gather_flat_grad(self):
        xp = self._params[0]._backend.xp
        return xp.concatenate([p.grad.array.reshape(-1) if p.grad is not None
                               else xp.zeros(p.numel(), dtype=p.dtype) for p in self._params])

    def _add_grad(self, step_size, update):
        offset = 0
        for p in self._params:
            n = p.numel()
            p.array[...] = _axpy(p.array, step_size, update[offset:offset + n].reshape(p.shape))
            _compat.bump_version(p)
            offset += n

    def _set_param(self, arrays):
        for p, a in zip(self._params, arrays):
            p.array[...] = a
            _compat.bump_version(p)

    def _evaluate(self, closure):
        with ag.enable_grad():
            loss = closure()
        return loss, float(loss), self._gather_flat_grad()

    def _directional_evaluate(self, closure, x, t, d):
        """Loss and flat gradient at x + t d; the parameters are put back to x."""
        self._add_grad(t, d)
        _, loss, flat_grad = self._evaluate(closure)
        self._set_param(x)
        return loss, flat_grad

    # ---------------------------------------------------------------- the step
    def step(self, closure):
        if closure is None:
            raise RuntimeError("LBFGS.step needs a closure that re-evaluates the model and "
                               "returns the loss: opt.step(closure)")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with ag.no_grad():
            orig_loss, loss, flat_grad = self._evaluate(closure)
            current_evals = 1
            state["func_evals"] += 1
            if abs(flat_grad).max() <= tol_grad:
                return orig_loss                            # already optimal
            d, t = state.get("d"), state.get("t")
            old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
            H_diag, prev_flat_grad = state.get("H_diag"), state.get("prev_flat_grad")
            prev_loss = state.get("prev_loss")
            n_iter = 0
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d = -flat_grad
                    old_dirs, old_stps, ro, H_diag = [], [], [], 1
                else:
                    d, H_diag = self._direction(state, flat_grad, prev_flat_grad, d, t, old_dirs,
                                                old_stps, ro, H_diag, history_size)
                prev_flat_grad = flat_grad.copy()
                prev_loss = loss
                if state["n_iter"] == 1:
                    t = min(1.0, 1.0 / abs(flat_grad).sum()) * lr
                else:
                    t = lr
                gtd = flat_grad.dot(d)
                if gtd > -tol_change:
                    break                                   # not a descent direction
                ls_func_evals = 0
                if group["line_search_fn"] is not None:
                    x_init = [p.array.copy() for p in self._params]
                    loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                        lambda t, d: self._directional_evaluate(closure, x_init, t, d),
                        t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                    self._add_grad(t, d)
                    opt_cond = abs(flat_grad).max() <= tol_grad
                else:
                    self._add_grad(t, d)
                    opt_cond = False
                    if n_iter != max_iter:                  # the last loss is left to the caller
                        _, loss, flat_grad = self._evaluate(closure)
                        opt_cond = abs(flat_grad).max() <= tol_grad
                        ls_func_evals = 1
                current_evals += ls_func_evals
                state["func_evals"] += ls_func_evals
                if (n_iter == max_iter or current_evals >= max_eval or opt_cond
                        or abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change):
                    break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    @staticmethod
    def _direction(state, flat_grad, prev_flat_grad, d, t, old_dirs, old_stps, ro, H_diag,
                   history_size):
        """Update the (s, y) history (in place); return -H g by the two-loop recursion, and
        the initial-Hessian scale ys/yy."""
        y = flat_grad - prev_flat_grad
        s = d * t
        ys = y.dot(s)
        if ys > 1e-10:                                      # keep only curvature pairs
            if len(old_dirs) == history_size:
                old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
            old_dirs.append(y), old_stps.append(s), ro.append(1.0 / ys)
            H_diag = ys / y.dot(y)
        if "al" not in state:
            state["al"] = [None] * history_size
        al = state["al"]
        q = -flat_grad
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = old_stps[i].dot(q) * ro[i]
            q = _axpy(q, -al[i], old_dirs[i])
        r = q * H_diag
        for i in range(len(old_dirs)):
            be_i = old_dirs[i].dot(r) * ro[i]
            r = _axpy(r, al[i] - be_i, old_stps[i])
        return r, H_diag
