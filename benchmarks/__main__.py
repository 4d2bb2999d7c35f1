"""``python -m benchmarks <subcommand> [options]``.

Subcommands are listed in ``benchmarks.SUBCOMMANDS``; each is one module.
Common options: ``--json PATH`` writes the results as JSON, ``--repeat N``
sets how many timed repeats each measurement takes (the median is reported).
"""

import argparse
import importlib
import sys

from . import SUBCOMMANDS
from ._common import write_json


def _load(name):
    return importlib.import_module(SUBCOMMANDS[name])


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="tapegrad benchmarks (PyTorch is compared against when installed, "
                    "never required).",
    )
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    sub.required = True
    for name in SUBCOMMANDS:
        mod = _load(name)
        p = sub.add_parser(name, help=mod.HELP, description=mod.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--json", metavar="PATH", default=None,
                       help="write the results as JSON to PATH")
        p.add_argument("--repeat", type=int, default=5, metavar="N",
                       help="timed repeats per measurement; the median is reported "
                            "(default: %(default)s)")
        mod.add_arguments(p)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.repeat < 1:
        print("--repeat must be at least 1", file=sys.stderr)
        return 2
    result = _load(args.command).run(args)
    if args.json:
        write_json(result, args.json)
        print(f"\nwrote {args.json}")
    if result.get("errors"):
        print(f"\nFAILED: {', '.join(result['errors'])} (see the tracebacks above)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
