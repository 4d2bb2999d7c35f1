"""python -m autograd.viz SCRIPT.py:FUNCTION -o graph.svg

Calls FUNCTION() from SCRIPT.py (or from an importable module, `pkg.mod:FUNCTION`)
and draws the graph of the Tensor it returns. FUNCTION may also return
(tensor, model), so that clusters and parameters take the model's names.
"""
import argparse
import importlib
import importlib.util
import os
import sys


def load_function(target):
    path, sep, name = target.rpartition(':')
    if not sep or not path or not name:
        raise SystemExit(f"autograd.viz: expected SCRIPT.py:FUNCTION or module:FUNCTION, got {target!r}")
    if path.endswith('.py') or os.path.sep in path:
        if not os.path.exists(path):
            raise SystemExit(f"autograd.viz: no such script: {path}")
        sys.path.insert(0, os.path.dirname(os.path.abspath(path)))  # its sibling imports work
        spec = importlib.util.spec_from_file_location('__viz_target__', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(path)
    fn = getattr(module, name, None)
    if not callable(fn):
        raise SystemExit(f"autograd.viz: {path} has no function {name!r}")
    return fn


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m autograd.viz',
        description="Draw the autograd graph of the Tensor a function returns.")
    parser.add_argument('target', help="SCRIPT.py:FUNCTION or module:FUNCTION (called with no "
                                       "arguments; returns a Tensor, or (Tensor, model))")
    parser.add_argument('-o', '--output', default='graph.svg',
                        help="output file: .dot, .svg (no Graphviz install needed), .png, .pdf "
                             "(default graph.svg)")
    parser.add_argument('--backward', action='store_true',
                        help="draw the backward graph (the nodes backward replays, in order)")
    parser.add_argument('--depth', type=int, default=None,
                        help="collapse module calls at this nesting depth into single boxes")
    parser.add_argument('--grads', action='store_true',
                        help="run backward on the (scalar) result and show gradient health")
    parser.add_argument('--profile', action='store_true',
                        help="time every op (forward, and backward with --grads)")
    parser.add_argument('--no-shapes', action='store_true', help="leave shapes off tensors")
    args = parser.parse_args(argv)

    import autograd as ag
    from . import dot, health, timing

    fn = load_function(args.target)
    with timing.profile() if args.profile else _Nothing():
        result = fn()
        model = None
        if isinstance(result, tuple) and len(result) == 2 and hasattr(result[1], 'named_modules'):
            result, model = result
        if not isinstance(result, ag.Tensor):
            raise SystemExit(f"autograd.viz: {args.target} returned a {type(result).__name__}, "
                             "not a Tensor (or a (Tensor, model) pair)")
        if args.grads:
            if result.array.size != 1:
                raise SystemExit(f"autograd.viz: --grads needs a scalar result to run backward "
                                 f"on; got shape {result.shape}")
            health.record_grads(result)
            result.backward(retain_graph=True)
    path = dot.save(result, args.output, show_backward=args.backward, depth=args.depth,
                    model=model, show_grads=args.grads, profile=args.profile,
                    show_shapes=not args.no_shapes)
    print(f"wrote {path}")
    return 0


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


if __name__ == '__main__':
    try:
        sys.exit(main())
    except Exception as e:          # a clear one-line error, not a traceback, for known failures
        from .output import RenderError
        if isinstance(e, RenderError):
            raise SystemExit(f"autograd.viz: {e}")
        raise
