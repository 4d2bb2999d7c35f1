"""ag.viz: draw the recorded graph (forward or backward), grouped by nn.Module,
with gradient health and per-op timings.

    g = ag.viz.draw(loss)                         # a graphviz.Digraph (forward graph)
    g = ag.viz.draw(loss, show_backward=True, model=model, depth=2)
    ag.viz.save(loss, "graph.svg")                # .dot, .svg (no Graphviz install needed), .png, .pdf

    ag.viz.record_grads(loss)                     # before backward: keep every tensor's grad norm
    loss.backward()
    ag.viz.draw(loss, show_grads=True)            # vanishing / exploding / dead-ReLU marks

    with ag.viz.profile():                        # per-op forward/backward time and output bytes
        loss = model(x).sum(); loss.backward()
    ag.viz.draw(loss, profile=True)

The names are loaded on first use, so `import nn` (which imports the tiny
`spans` module for module clusters) does not load the drawing code.
"""
import importlib

_EXPORTS = {
    'draw': 'dot', 'save': 'dot',
    'record_grads': 'health', 'profile': 'timing',
    'render': 'output', 'RenderError': 'output', 'DotGraph': 'output',
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'autograd.viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(f'.{module}', __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
