"""Process-wide switches PyTorch programs set at the top: thread count, determinism, matmul
precision, and torch.compile. Each does here what it can mean on this engine (documented per
function), so such a program runs unchanged."""
from .backends import cpu_threads
from .errors import check_size

_settings = {'deterministic': False, 'warn_only': False, 'matmul_precision': 'highest',
             'interop_threads': 1}


def set_num_threads(num):
    """The threads the CPU backend's BLAS uses (matmuls, convolutions)."""
    cpu_threads.set_count(check_size('set_num_threads', 'num', num, 1))


def get_num_threads():
    return cpu_threads.get_count()


def set_num_interop_threads(num):
    """Stored only: this engine runs one op at a time, with no inter-op pool."""
    _settings['interop_threads'] = check_size('set_num_interop_threads', 'num', num, 1)


def get_num_interop_threads():
    return _settings['interop_threads']


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded for are_deterministic_algorithms_enabled(). Every op here is deterministic
    already (NumPy on the CPU; the GPU backend's scatter-adds accumulate in a fixed order)."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms: expected a bool for mode, got "
                        f"{type(mode).__name__} {mode!r}")
    _settings['deterministic'], _settings['warn_only'] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _settings['deterministic']


def is_deterministic_algorithms_warn_only_enabled():
    return _settings['warn_only']


def set_float32_matmul_precision(precision):
    """'highest', 'high' or 'medium'. float32 matmuls here always run in full float32, which
    every setting allows (the lower ones only permit TF32/bfloat16 shortcuts)."""
    if precision not in ('highest', 'high', 'medium'):
        raise ValueError(f"set_float32_matmul_precision: expected 'highest', 'high' or 'medium', "
                         f"got {precision!r}")
    _settings['matmul_precision'] = precision


def get_float32_matmul_precision():
    return _settings['matmul_precision']


def compile(model=None, *, fullgraph=False, dynamic=None, backend='inductor', mode=None,
            options=None, disable=False):
    """torch.compile: the model or function itself, run eagerly (there is no compiler here);
    its results are what the compiled one's would be. Works as ``@compile`` and ``@compile()``."""
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise TypeError(f"compile: expected a Module or a function, got {type(model).__name__}")
    return model
