"""Exceptions that name the op, the shapes, dtypes and devices, and say what to do.

Each class also derives from the builtin a NumPy user would catch (ValueError
for shapes, TypeError for dtypes), and from RuntimeError as a PyTorch user would.
"""
import operator
import re


class OpError(RuntimeError):
    """An operation was given inputs it cannot work on."""


class ShapeError(OpError, ValueError):
    """Shapes that do not fit together (broadcasting, matmul, reshape, dims)."""


class DtypeError(OpError, TypeError):
    """A dtype the op cannot take (e.g. grad asked of an integer tensor)."""


class DataError(DtypeError, ValueError):
    """Data that is not an array of numbers (None, strings, ragged nested lists)."""


class ArgumentError(OpError, ValueError):
    """An argument outside its allowed values (a negative delta, a zero step)."""


class IndexOutOfRange(OpError, IndexError):
    """An index past the end of a dimension."""


class DeviceError(OpError):
    """Tensors on different devices met in one op."""


class GraphFreedError(RuntimeError):
    """Backward through a graph whose saved tensors were already freed."""


class InplaceError(RuntimeError):
    """A tensor the tape saved was changed in place before backward."""


class AnomalyError(RuntimeError):
    """detect_anomaly() found NaN/Inf produced by an op."""


def describe(x):
    """'Tensor(shape=(2, 3), dtype=float32)' or the Python value's type."""
    shape = getattr(x, 'shape', None)
    if shape is None:
        return f'{type(x).__name__} {x!r}'
    device = getattr(x, 'device', 'cpu')
    where = '' if device == 'cpu' else f', device={device}'
    return f'{tuple(shape)} {x.dtype}{where}'


def _inputs(inputs):
    return ', '.join(describe(x) for x in inputs)


_OWN_PREFIX = re.compile(r'[a-z_0-9]+: ')


def op_failed(op, inputs, exc):
    """Turn a NumPy error raised deep inside `op` into one that names the op."""
    text = str(exc)
    if isinstance(exc, IndexError):
        kind = IndexOutOfRange
    else:
        kind = ShapeError if isinstance(exc, (ValueError, IndexError)) else DtypeError
    hint = ''
    if _OWN_PREFIX.match(text):         # our own check inside forward already names the function
        return kind(f"{text} (inputs: {_inputs(inputs)}).")
    if 'broadcast' in text:
        hint = ' Shapes broadcast when, from the last dimension back, each pair is equal or one is 1.'
    elif 'out of bounds for array of dimension' in text:
        hint = ' Dims of an n-dimensional tensor go from -n to n-1.'
    return kind(f"{op.lower()}: {text} (inputs: {_inputs(inputs)}).{hint}")


def renamed(exc, op):
    """`exc`, an OpError that names the function doing the work ("reshape: ..."), naming
    instead `op`, the one the user called ("view: ...")."""
    rest = exc.args[0].partition(': ')[2] if _OWN_PREFIX.match(exc.args[0]) else exc.args[0]
    return type(exc)(f"{op}: {rest}")


def shape_error(op, message, *inputs):
    return ShapeError(f"{op}: {message} (inputs: {_inputs(inputs)})")


def broadcast_shape(op, *inputs):
    """The shape `inputs` (tensors or shapes) broadcast to, or a ShapeError naming `op`."""
    shapes = [tuple(getattr(x, 'shape', x)) for x in inputs]
    out = []
    for dims in zip(*(((1,) * (max(map(len, shapes)) - len(s)) + s) for s in shapes)):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ShapeError(
                f"{op}: shapes {' and '.join(map(str, shapes))} do not broadcast together "
                "(from the last dimension back, each pair of sizes must be equal or one of "
                "them 1)")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def same_device(op, x, other, what, base='the input'):
    """Raise a DeviceError naming `what` (the index, the target, the mask...) when `other`
    is a tensor on another device than `x` (`base`)."""
    if hasattr(other, '_backend') and other._backend is not x._backend:
        raise DeviceError(
            f"{op}: expected {what} on the device of {base} ({x.device}), got {other.device} "
            f"({base}: {describe(x)}; {what}: {describe(other)}). Move it with "
            f".to({x.device!r}) first.")


def check_size(op, what, value, minimum=0):
    """An int-like size argument (a dim, a count, a stride) of at least `minimum`."""
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{op}: {what} must be an int, got {type(value).__name__} "
                        f"{value!r}") from None
    if n < minimum:
        need = 'non-negative' if minimum == 0 else f'at least {minimum}'
        raise ShapeError(f"{op}: {what} must be {need}, got {n}")
    return n


def mixed_devices(op, inputs):
    devices = sorted({x.device for x in inputs if hasattr(x, '_backend')})
    return DeviceError(
        f"{op.lower()}: expected all tensors on one device, found {' and '.join(devices)} "
        f"(inputs: {_inputs(inputs)}). Move them with .to(device) first.")


def modified_inplace(op, what, saved_version, now):
    return InplaceError(
        f"{op}: one of the tensors needed for its gradient ({what}) was modified by an "
        f"in-place operation after it was saved (version {saved_version}, now {now}). "
        "Use the out-of-place form (e.g. x = x + y instead of x.add_(y)), or clone() it first.")


def check_forward_finite(op, inputs, out, backend):
    xp = backend.xp
    if out.dtype.kind not in 'fc' or xp.isfinite(out).all():
        return
    inputs_finite = all(
        xp.isfinite(x.array).all() for x in inputs
        if hasattr(x, '_backend') and x.array.dtype.kind in 'fc')
    if inputs_finite:
        raise AnomalyError(
            f"detect_anomaly: {op} produced NaN/Inf in its forward output from finite "
            f"inputs ({_inputs(inputs)}).")


def check_backward_finite(op, grads, backend):
    xp = backend.xp
    for i, gr in enumerate(grads):
        if gr is None:
            continue
        data = gr.array if hasattr(gr, '_backend') else gr      # a Tensor, or a raw array
        if data.dtype.kind in 'fc' and not xp.isfinite(data).all():
            raise AnomalyError(
                f"detect_anomaly: {op}'s backward returned NaN/Inf in the gradient of input {i} "
                f"(shape {tuple(data.shape)}).")
