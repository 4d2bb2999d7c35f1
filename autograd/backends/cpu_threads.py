"""The CPU backend's thread count: the threads NumPy's BLAS (OpenBLAS) uses for matmuls and
convolutions, which is what `torch.set_num_threads` governs for a program on this engine.

NumPy wheels bundle OpenBLAS under a prefixed name (scipy_openblas...64_); a NumPy built
against a system OpenBLAS exports the plain names. Where neither is found (another BLAS),
the count is only recorded, and get_num_threads() reports it.
"""
import ctypes
import glob
import os

_NAMES = (('scipy_openblas_set_num_threads64_', 'scipy_openblas_get_num_threads64_'),
          ('scipy_openblas_set_num_threads', 'scipy_openblas_get_num_threads'),
          ('openblas_set_num_threads', 'openblas_get_num_threads'))
_state = {'blas': None, 'count': None}


def _blas():
    """(set, get) for the OpenBLAS NumPy loaded, or False where there is none."""
    if _state['blas'] is None:
        import numpy
        here = os.path.dirname(numpy.__file__)
        libs = [None] + sorted(glob.glob(os.path.join(here, '..', 'numpy.libs', '*openblas*')))
        _state['blas'] = False
        for path in libs:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for set_name, get_name in _NAMES:
                if hasattr(lib, set_name) and hasattr(lib, get_name):
                    _state['blas'] = (getattr(lib, set_name), getattr(lib, get_name))
                    return _state['blas']
    return _state['blas']


def set_count(n):
    blas = _blas()
    if blas:
        blas[0](int(n))
    _state['count'] = int(n)


def get_count():
    blas = _blas()
    if blas:
        return int(blas[1]())
    return _state['count'] if _state['count'] is not None else (os.cpu_count() or 1)
