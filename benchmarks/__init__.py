"""tapegrad benchmark suite: ``python -m benchmarks <subcommand>``.

Each subcommand lives in its own module (``benchmarks/overhead.py``, ...) that
exposes four names:

* ``NAME``: the subcommand (``"overhead"``),
* ``HELP``: one line for ``python -m benchmarks --help``,
* ``add_arguments(parser)``: its own options,
* ``run(args) -> dict``: runs, prints a table, and returns a JSON-able dict
  that ``__main__`` writes to ``--json PATH`` when asked.

New suites (``train``, ``matmul``, ...) are added by writing such a module and
listing it in ``SUBCOMMANDS`` below. Torch is never required: a suite compares
against PyTorch only when ``import torch`` works.
"""

# subcommand name -> module (imported lazily, so one suite's imports never
# slow down or break another)
SUBCOMMANDS = {
    "overhead": "benchmarks.overhead",
    "train": "benchmarks.train",
    "matmul": "benchmarks.matmul",
    "fused": "benchmarks.fused",
    "devices": "benchmarks.devices",
    "distributed": "benchmarks.distributed",
}
