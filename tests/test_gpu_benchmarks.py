"""The CPU-vs-GPU benchmark subcommands run end to end on tiny sizes (structure, not
timings: timings belong in benchmarks/), skip the GPU cleanly where there is none,
and never touch the real calibration file. PyTorch is kept out (--no-torch)."""
import json

import pytest

import autograd as ag
from benchmarks.__main__ import main
from benchmarks.matmul import plot

NO_GPU = not ag.cuda.is_available()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))


def _run(argv, tmp_path, capsys):
    out = tmp_path / 'out.json'
    rc = main(argv + ['--json', str(out)])
    text = capsys.readouterr().out
    return rc, json.loads(out.read_text()), text


def test_matmul_suite_runs_and_reports_each_cpu_column(tmp_path, capsys):
    rc, result, text = _run(['matmul', '--device', 'all', '--sizes', '16,32', '--repeat', '1',
                             '--min-time', '0.001', '--no-torch'], tmp_path, capsys)
    assert rc == 0
    for label in ('cpu/numpy', 'cpu/tapegrad'):
        assert set(result['columns'][label]) == {'16', '32'}
        assert all(c['gflops'] > 0 for c in result['columns'][label].values())
    assert result['max_rel_err']['cpu'] < 1e-5
    assert ('skipped' in result) == NO_GPU
    if NO_GPU:
        assert 'no CUDA device' in text and 'cuda skipped' in text
        assert 'crossover: not measured' in text
    else:
        assert 'cuda+copy/tapegrad' in result['columns'] and 'crossover' in result


@pytest.mark.skipif(not NO_GPU, reason='the no-GPU path')
def test_gpu_only_requests_skip_cleanly_without_a_gpu(tmp_path, capsys):
    for argv in (['matmul', '--device', 'cuda', '--calibrate'],
                 ['train', '--device', 'cuda', '--no-torch', '--steps', '1'],
                 ['fused', '--device', 'cuda'],
                 ['devices', '--device', 'cuda']):
        rc, result, text = _run(argv + ['--repeat', '1'], tmp_path, capsys)
        assert rc == 0, argv
        assert 'no CUDA device' in text and 'cuda skipped' in text, argv
        if '--calibrate' in argv:
            assert 'calibration needs a GPU: nothing stored' in text
    assert not (tmp_path / 'cache' / 'tapegrad' / 'offload.json').exists()


def test_devices_and_fused_suites_run_on_the_cpu(tmp_path, capsys):
    rc, result, text = _run(['devices', '--device', 'cpu', '--ops', '3', '--iters', '2',
                             '--repeat', '1'], tmp_path, capsys)
    assert rc == 0 and result['chain']['cpu'] > 0 and result['matmul']['cpu'] > 0
    rc, result, text = _run(['fused', '--device', 'cpu', '--sizes', '1000', '--iters', '1',
                             '--repeat', '1'], tmp_path, capsys)
    assert rc == 0
    assert set(result['cpu']) == {'sgd_momentum', 'adam'}
    assert all(c['1000']['unfused_us'] > 0 for c in result['cpu'].values())


def test_plot_writes_a_png_or_says_what_to_install(tmp_path, capsys):
    result = {'dtype': 'float32', 'columns': {
        'cpu/tapegrad': {'64': {'gflops': 10.0}, '128': {'gflops': 20.0}},
        'cuda+copy/tapegrad': {'64': {'gflops': 1.0}, '128': {'gflops': 40.0}}},
        'crossover': {'n': 128}}
    path = tmp_path / 'm.png'
    written = plot(result, str(path))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert written is None and not path.exists()
        assert 'matplotlib is not installed' in capsys.readouterr().out
    else:
        assert written == str(path) and path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
