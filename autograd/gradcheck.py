"""Gradients checked against central finite differences, in float64.

gradcheck(fn, inputs) compares vector-Jacobian products from the tape with
the same products from finite differences: along random output directions
always, and for every output element (the full Jacobian) when the problem is
small. gradgradcheck does the same for the function (inputs, v) -> v^T J,
which checks second derivatives (create_graph=True).
"""
from . import engine
from .backends import numpy_backend
from .tensor import Tensor

np = numpy_backend.np


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _float_outputs(outputs):
    return [o for o in outputs if isinstance(o, Tensor) and o.dtype.kind == 'f']


def _evaluate(fn, inputs):
    # not under no_grad: fn may itself differentiate (gradgradcheck's does)
    return [o.array.astype(np.float64) for o in _float_outputs(_as_tuple(fn(*inputs)))]


def _numerical_vjp(fn, inputs, diff, vs, eps):
    """d/dx <v, fn(x)> by central differences, one input element at a time."""
    grads = []
    for i in diff:
        x = inputs[i]
        if not x.array.flags.c_contiguous:
            x.array = x.array.copy()
        flat = x.array.reshape(-1)            # a view: perturb in place, restore after
        g = np.zeros(flat.size)
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = _evaluate(fn, inputs)
            flat[k] = orig - eps
            minus = _evaluate(fn, inputs)
            flat[k] = orig
            g[k] = sum(float((v * (p - m)).sum()) for v, p, m in zip(vs, plus, minus)) / (2 * eps)
        grads.append(g.reshape(x.shape))
    return grads


def _analytic_vjp(fn, inputs, diff, vs):
    pairs = [(o, v) for o, v in zip(_float_outputs(_as_tuple(fn(*inputs))), vs) if o.requires_grad]
    if not pairs:                 # no output depends on the inputs: the gradient is zero
        return [np.zeros(inputs[i].shape) for i in diff]
    grads = engine.grad([o for o, _ in pairs], [inputs[i] for i in diff],
                        [Tensor(np.asarray(v, dtype=o.dtype), device=o.device) for o, v in pairs],
                        allow_unused=True)
    return [np.zeros(inputs[i].shape) if g is None else g.array.astype(np.float64)
            for g, i in zip(grads, diff)]


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              n_directions=3, full_jacobian_max=16, seed=0):
    """True when the tape's gradients of `fn` at `inputs` match finite differences.

    Inputs that require grad must be float64 (float32 differences are too coarse);
    the others are passed through. Raises GradcheckError on a mismatch (or returns
    False with raise_exception=False).
    """
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff:
        if inputs[i].dtype != np.float64:
            raise GradcheckError(f"gradcheck: input {i} is {inputs[i].dtype}; gradcheck needs "
                                 "float64 inputs (use .double()) for finite differences to be exact enough")
    rng = np.random.default_rng(seed)
    shapes = [o.shape for o in _evaluate(fn, inputs)]
    directions = [[rng.standard_normal(s) for s in shapes] for _ in range(n_directions)]
    total = sum(int(np.prod(s)) for s in shapes)
    if total <= full_jacobian_max:            # every row of the Jacobian, one at a time
        for j in range(total):
            unit = np.zeros(total)
            unit[j] = 1.0
            parts, start = [], 0
            for s in shapes:
                n = int(np.prod(s))
                parts.append(unit[start:start + n].reshape(s))
                start += n
            directions.append(parts)
    for vs in directions:
        analytic = _analytic_vjp(fn, inputs, diff, vs)
        numerical = _numerical_vjp(fn, inputs, diff, vs, eps)
        for i, a, n in zip(diff, analytic, numerical):
            if a.shape != n.shape or not np.allclose(a, n, atol=atol, rtol=rtol):
                if not raise_exception:
                    return False
                err = np.abs(a - n).max() if a.shape == n.shape else float('nan')
                raise GradcheckError(
                    f"gradcheck: the gradient of input {i} (shape {inputs[i].shape}) disagrees "
                    f"with finite differences (max abs error {err:.3g}).\n"
                    f"analytic:\n{a}\nnumerical:\n{n}")
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, seed=1, **kwargs):
    """gradcheck of (inputs, v) -> v^T J(inputs): checks second derivatives."""
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outs = [o for o in _float_outputs(_as_tuple(fn(*inputs))) if o.requires_grad]
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        grad_outputs = [Tensor(np.asarray(rng.standard_normal(o.shape)), device=o.device, requires_grad=True)
                        for o in outs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n_in], args[n_in:]
        outs = [o for o in _float_outputs(_as_tuple(fn(*xs))) if o.requires_grad]
        grads = engine.grad(outs, [xs[i] for i in diff], list(vs), create_graph=True,
                            allow_unused=True)
        return tuple(g for g in grads if g is not None and g.requires_grad)

    return gradcheck(first_derivative, inputs + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception, **kwargs)
