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
    """Sets a ContextVar on entry, restores it on exit; also decorates functions."""
    var = grad_enabled
    value = True

    def __enter__(self):
        self._token = self.var.set(self.value)
        return self

    def __exit__(self, *exc):
        self.var.reset(self._token)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._fresh():          # a new manager per call: re-entrant, thread-safe
                return fn(*args, **kwargs)
        return wrapper

    def _fresh(self):
        return type(self)()


class _BareDecorator(_FlagContext):
    """Also usable without the call: `@no_grad` as well as `@no_grad()` (as PyTorch 2)."""

    def __new__(cls, func=None):
        if func is not None:
            return object.__new__(cls)(func)
        return object.__new__(cls)

    def __init__(self, func=None):
        pass


class no_grad(_BareDecorator):
    """Operations inside record nothing: results have requires_grad=False."""
    value = False


class enable_grad(_BareDecorator):
    """Re-enables recording inside a no_grad block."""
    value = True


class set_grad_enabled(_FlagContext):
    """`set_grad_enabled(False)` takes effect at once (as a call) and as a context."""

    def __init__(self, mode):
        self.value = bool(mode)
        self._prev = grad_enabled.get()
        grad_enabled.set(self.value)

    def __enter__(self):
        self._token = grad_enabled.set(self.value)
        return self

    def __exit__(self, *exc):
        grad_enabled.reset(self._token)
        grad_enabled.set(self._prev)
        return False

    def __call__(self, fn):
        # used as a decorator: the call-time switch in __init__ must not stay in force
        grad_enabled.set(self._prev)
        return super().__call__(fn)

    def _fresh(self):
        manager = _FlagContext()
        manager.value = self.value
        return manager


class detect_anomaly(_FlagContext):
    """Inside, an op whose forward or backward produces NaN/Inf raises, naming the op."""
    var = anomaly_enabled
    value = True

    def __init__(self, check_nan=True):
        self.value = bool(check_nan)

    def _fresh(self):
        return type(self)(self.value)


def is_anomaly_enabled():
    return anomaly_enabled.get()
