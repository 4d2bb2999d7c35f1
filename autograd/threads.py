"""torch.set_num_threads / get_num_threads (and the inter-op pair).

The threads that matter here are the BLAS library's under NumPy's matmul. When
threadpoolctl is installed, set_num_threads limits them at once; without it the
count is fixed when NumPy loads (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS),
so set_num_threads only stores the value, which get_num_threads then reports.
Inter-op threads do not exist in this engine: that pair only stores its value.
"""
import os

_threads = [None]
_interop = [None]


def _checked(name, n):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name}: expects a positive int, got {n!r}")
    return n


def set_num_threads(int):
    """Threads for intra-op work (BLAS): applied through threadpoolctl when it is installed,
    otherwise stored and reported by get_num_threads without taking effect."""
    _threads[0] = _checked('set_num_threads', int)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=int, user_api='blas')


def get_num_threads():
    """The value set last, else the BLAS pool's size (threadpoolctl), else the CPU count."""
    if _threads[0] is not None:
        return _threads[0]
    try:
        from threadpoolctl import threadpool_info
        sizes = [pool['num_threads'] for pool in threadpool_info() if pool['user_api'] == 'blas']
        if sizes:
            return max(sizes)
    except ImportError:
        pass
    return os.cpu_count() or 1


def set_num_interop_threads(int):
    """Stored only: this engine runs ops one at a time, with no inter-op pool."""
    _interop[0] = _checked('set_num_interop_threads', int)


def get_num_interop_threads():
    return _interop[0] if _interop[0] is not None else os.cpu_count() or 1
