"""The CuPy backend's Python logic, on machines without a GPU.

A small NumPy stand-in for CuPy (written to a temporary directory and put first on
the path of a child pytest) lets CupyBackend run for real: device strings and ids,
the namespace it builds, conversions, the cuRAND-style generator behind NumPy's
method names, scatter-add routing (the stand-in refuses the dtypes CUDA has no
atomic add for, as CuPy does), memory statistics and event timing calls. The child
runs the gpu-marked, device-parametrised tests of tests/test_gpu.py on 'cuda' plus
the GPU paths of the matmul and devices benchmarks (train --device cuda was run on
it by hand: a full MLP step is too slow for the test suite on a small machine).

The stand-in's ElementwiseKernel runs the fused optimizer kernels' C bodies as NumPy
statements, so their formulas and the optimizers' route to them are checked against
the optimizers' array code here. This proves nothing about CUDA compilation, numerics
on a GPU or speed: the memory-pool tests are left out and owed to a real GPU run.
"""
import os
import subprocess
import sys
import textwrap

import pytest

import autograd as ag

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MOCK = {
    'cupy/__init__.py': '''
        """NumPy stand-in for CuPy (tests only): arrays are a numpy subclass of module cupy."""
        import importlib as _il
        import numpy as _np
        from numpy import *  # noqa
        from numpy import linalg, fft  # noqa
        __version__ = 'numpy-stand-in'

        class _Dev:
            def __init__(self, id=0):
                self.id = id

        class ndarray(_np.ndarray):
            @property
            def device(self):
                return _Dev(0)

            def get(self):
                return _np.array(self)

        def asarray(a, dtype=None, order=None):
            if isinstance(a, ndarray) and (dtype is None or a.dtype == _np.dtype(dtype)):
                return a
            return _np.asarray(a, dtype=dtype).view(ndarray)

        def array(a, dtype=None, copy=True, order='K', ndmin=0):
            return _np.array(a, dtype=dtype, copy=copy, order=order, ndmin=ndmin).view(ndarray)

        def asnumpy(a):
            return _np.array(a)

        class _Pool:
            calls = []
            def used_bytes(self): return 1 << 20
            def total_bytes(self): return 2 << 20
            def free_bytes(self): return 1 << 20
            def n_free_blocks(self): return 1
            def free_all_blocks(self, stream=None): self.calls.append('free_all_blocks')

        _pool, _pinned = _Pool(), _Pool()
        def get_default_memory_pool(): return _pool
        def get_default_pinned_memory_pool(): return _pinned

        class ElementwiseKernel:
            """Runs the kernel's C body as NumPy statements on whole arrays: the C
            subset the fused optimizer kernels use (declarations, (T) casts, a ? b : c,
            sqrt, compound assignment); scalars are cast to T as CUDA does."""
            def __init__(self, in_params, out_params, operation, name='kernel', **kw):
                import re
                self.name = name
                self.params = [p.split() for p in (in_params + ', ' + out_params).split(', ')]
                self.outs = [p.split()[1] for p in out_params.split(', ')]
                body = re.sub(r'\\(T\\)|\\bT (?=\\w+ =)', '', operation)
                body = re.sub(r'(\\w+) \\? ([^:]+) : (\\w+)', r'where(\\1, \\2, \\3)', body)
                self.code = compile('\\n'.join(x.strip() for x in body.split(';')), name, 'exec')
            def __call__(self, *args):
                dtype = next(a.dtype for a in args if isinstance(a, _np.ndarray))
                env = {'sqrt': _np.sqrt, 'where': _np.where}
                for (kind, name), a in zip(self.params, args):
                    env[name] = a if isinstance(a, _np.ndarray) else (
                        bool(a) if kind == 'bool' else dtype.type(a))
                exec(self.code, env)
                for (kind, name), a in zip(self.params, args):
                    if name in self.outs and env[name] is not a:
                        a[...] = env[name]

        def _wrap(f):
            def wrapped(*args, **kwargs):
                r = f(*args, **kwargs)
                if type(r) is _np.ndarray:
                    return r.view(ndarray)
                if type(r) in (tuple, list):
                    return type(r)(x.view(ndarray) if type(x) is _np.ndarray else x for x in r)
                return r
            return wrapped

        # every NumPy function returns device arrays here, as CuPy's do
        for _name, _f in list(vars(_np).items()):
            if not _name.startswith('_') and callable(_f) and not isinstance(_f, (type, _np.ufunc)):
                globals()[_name] = _wrap(_f)

        cuda = _il.import_module('cupy.cuda')
        random = _il.import_module('cupy.random')
    ''',
    'cupy/cuda/__init__.py': '''
        import time
        from . import runtime  # noqa

        class Device:
            def __init__(self, device=0):
                self.id = device
            def __enter__(self): return self
            def __exit__(self, *a): return False
            def synchronize(self): pass

        class Event:
            def record(self, stream=None): self.t = time.perf_counter()
            def synchronize(self): pass

        def get_elapsed_time(start, end):
            return (end.t - start.t) * 1e3
    ''',
    'cupy/cuda/runtime.py': '''
        def getDeviceCount(): return 1
        def memGetInfo(): return (70 << 30, 80 << 30)
        def getDeviceProperties(i): return {'name': b'stand-in'}
    ''',
    'cupy/random.py': '''
        import numpy as _np

        class RandomState:
            def __init__(self, seed=None, method=None):
                self.rs = _np.random.RandomState(seed)
            def _c(self, x, dtype):
                from . import asarray
                return asarray(_np.asarray(x).astype(dtype))
            def random_sample(self, size=None, dtype=float):
                return self._c(self.rs.random_sample(size), dtype)
            def standard_normal(self, size=None, dtype=float):
                return self._c(self.rs.standard_normal(size), dtype)
            def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
                return self._c(self.rs.normal(loc, scale, size), dtype)
            def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
                return self._c(self.rs.uniform(low, high, size), dtype)
            def randint(self, low, high=None, size=None, dtype=int):
                return self._c(self.rs.randint(low, high, size), dtype)
            def permutation(self, a):
                return self._c(self.rs.permutation(a), 'int64')
    ''',
    'cupyx/__init__.py': '''
        import numpy as _np
        from . import scipy  # noqa

        def scatter_add(a, slices, value):
            # CuPy's rule: only dtypes CUDA can add atomically
            if a.dtype.name not in ('float16', 'float32', 'float64', 'int32', 'uint32',
                                    'uint64'):
                raise TypeError(f'cupy.add.at does not support {a.dtype}')
            _np.add.at(a, slices, value)
    ''',
    'cupyx/scipy/__init__.py': 'from . import special  # noqa\n',
    'cupyx/scipy/special.py': '''
        import math
        import numpy as _np

        def erf(x):
            out = _np.vectorize(math.erf, otypes=[_np.float64])(_np.asarray(x))
            return out.astype(x.dtype).view(type(x))

        def erfinv(x):      # the CPU backend's own (SciPy's, or its refined approximation)
            from autograd.backends.numpy_backend import NumpyBackend
            return NumpyBackend().erfinv(_np.asarray(x)).astype(x.dtype).view(type(x))
    ''',
}


@pytest.fixture(scope='module')
def stand_in(tmp_path_factory):
    if ag.cuda.is_available():
        pytest.skip('a real GPU is here: tests/test_gpu.py runs on it directly')
    root = tmp_path_factory.mktemp('cupy_stand_in')
    for path, text in MOCK.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(root), ROOT] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]),
        XDG_CACHE_HOME=str(root / 'cache'))
    return env


def _child(env, *args, timeout=300):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_cupy_backend_logic_runs_the_gpu_tests_on_the_stand_in(stand_in):
    out = _child(stand_in, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-m', 'gpu',
                 'tests/test_gpu.py', '-k', 'not memory_pool and not reuse_the_memory_pool')
    tail = out.stdout[-3000:] + out.stderr[-2000:]
    assert out.returncode == 0, tail
    summary = out.stdout.strip().splitlines()[-1]
    assert 'passed' in summary and 'skipped' not in summary, summary
    assert int(summary.split()[0]) >= 150, summary       # the op table alone is ~120 rows


def test_cupy_backend_basics_on_the_stand_in(stand_in):
    code = textwrap.dedent('''
        import numpy as np, autograd as ag
        from autograd import backends
        assert ag.cuda.is_available() and ag.backends.available() == ['cpu', 'cuda']
        b = backends.get('cuda')
        assert b is backends.get('cuda:0') and b.name == 'cuda:0' and b.is_gpu
        t = ag.ones(2, 3, device='cuda', requires_grad=True)
        assert type(t.array).__module__ == 'cupy' and t.device == 'cuda:0' and t.is_cuda
        assert backends.of_array(t.array) is b
        try:
            ag.zeros(1, device='cuda:1')
        except RuntimeError as e:
            assert '1 CUDA device' in str(e), e
        else:
            raise AssertionError('cuda:1 accepted on a one-GPU machine')
        stats = ag.cuda.memory_stats()
        assert stats['used_bytes'] == 1 << 20 and stats['device_total_bytes'] == 80 << 30
        assert ag.cuda.memory_allocated() == 1 << 20 and ag.cuda.memory_reserved() == 2 << 20
        ag.cuda.empty_cache()
        assert b.pool.calls == ['free_all_blocks', 'free_all_blocks']
        assert 0 <= b.time_call(lambda: t.array * 2, 3) < 1
        with ag.cuda.device(0):
            y = (t * 2).sum()
        y.backward()
        assert t.grad.device == 'cuda:0'
        # the offload route to the GPU backend: copy in, product, copy back
        with backends.offload(0) as policy:
            x = ag.randn(8, 5, requires_grad=True)
            (x @ ag.randn(5, 3)).sum().backward()
        assert policy.target is b and policy.offloaded == 2 and x.grad.device == 'cpu'
        print('OK')
    ''')
    out = _child(stand_in, '-c', code)
    assert out.returncode == 0 and out.stdout.strip().endswith('OK'), out.stderr[-3000:]


def test_benchmark_gpu_paths_run_on_the_stand_in(stand_in):
    out = _child(stand_in, '-m', 'benchmarks', 'matmul', '--device', 'all', '--sizes', '16,32',
                 '--repeat', '1', '--min-time', '0.001', '--no-torch', '--calibrate')
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'cuda+copy/tapegrad' in out.stdout and 'calibration stored' in out.stdout
    out = _child(stand_in, '-m', 'benchmarks', 'devices', '--repeat', '1', '--iters', '1',
                 '--ops', '3')
    assert out.returncode == 0 and 'cuda/cpu' in out.stdout, out.stderr[-3000:]
