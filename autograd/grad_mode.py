"""Whether operations are recorded on the tape: no_grad, enable_grad, set_grad_enabled.

The flag lives in a ContextVar, so threads and asyncio tasks each have their
own. Each manager is both a context manager and a decorator.
"""
import functools
from contextvars import ContextVar

grad_enabled = ContextVar('grad_enabled', default=True)
anomaly_enabled = ContextVar('anomaly_enabled', default=False)


def is_grad_enabled():
    return grad_enabled.get()


class _FlagContext:
    """Sets a ContextVar on entry and restores it on exit; as a decorator, does the
    same around each call (a new context per call: re-entrant and thread-safe)."""

    def __init__(self, var, value):
        self.var, self.value = var, value

    def __enter__(self):
        self._token = self.var.set(self.value)
        return self

    def __exit__(self, *exc):
        self.var.reset(self._token)
        return False

    def __call__(self, fn):
        var, value = self.var, self.value

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _FlagContext(var, value):
                return fn(*args, **kwargs)
        return wrapper


class _GradMode(_FlagContext):
    """no_grad / enable_grad: also usable bare, `@no_grad` as well as `@no_grad()` (PyTorch 2)."""
    value = None

    def __new__(cls, func=None):
        if func is None:
            return object.__new__(cls)
        return _FlagContext(grad_enabled, cls.value)(func)     # bare @no_grad

    def __init__(self, func=None):
        super().__init__(grad_enabled, self.value)


class no_grad(_GradMode):
    """Operations inside record nothing: results have requires_grad=False."""
    value = False


class enable_grad(_GradMode):
    """Re-enables recording inside a no_grad block."""
    value = True


class inference_mode(_GradMode):
    """PyTorch's inference_mode: no_grad here (there is no separate kind of inference
    tensor); `inference_mode(False)` changes nothing. Bare `@inference_mode` works too."""
    value = False

    def __new__(cls, mode=True):
        return super().__new__(cls, mode if callable(mode) else None)

    def __init__(self, mode=True):
        super().__init__()
        self.mode = bool(mode)

    def __enter__(self):
        return super().__enter__() if self.mode else self

    def __exit__(self, *exc):
        return super().__exit__(*exc) if self.mode else False

    def __call__(self, fn):
        return super().__call__(fn) if self.mode else fn


class _SetFlag(_FlagContext):
    """Takes effect at once (as a call), and also works as a context manager (restoring
    the value from before the call) and as a decorator."""

    def __init__(self, var, mode):
        super().__init__(var, bool(mode))
        self._prev = var.get()
        var.set(self.value)

    def __exit__(self, *exc):
        super().__exit__(*exc)
        self.var.set(self._prev)
        return False

    def __call__(self, fn):
        self.var.set(self._prev)            # as a decorator, the call-time switch is undone
        return super().__call__(fn)


class set_grad_enabled(_SetFlag):
    """`set_grad_enabled(False)` takes effect at once; also a context manager and decorator."""

    def __init__(self, mode):
        super().__init__(grad_enabled, mode)


class set_detect_anomaly(_SetFlag):
    """`set_detect_anomaly(True)` turns anomaly detection on at once; also a context."""

    def __init__(self, mode, check_nan=True):
        super().__init__(anomaly_enabled, mode and check_nan)


class detect_anomaly(_FlagContext):
    """Inside, an op whose forward or backward produces NaN/Inf raises, naming the op."""

    def __init__(self, check_nan=True):
        super().__init__(anomaly_enabled, bool(check_nan))


def is_anomaly_enabled():
    return anomaly_enabled.get()
