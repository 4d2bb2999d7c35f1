"""What every worker shares: results per rank, gathered to rank 0 and written as JSON."""
import json
import sys
import traceback

import autograd.distributed as dist

results = {}


def check(fn):
    """Run one check; store its return value, or the exception it raised, under its name."""
    try:
        results[fn.__name__] = fn()
    except Exception as e:       # recorded, so one failure does not hide the others
        results[fn.__name__] = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
    return fn


def raised(fn):
    """The exception `fn()` raises, as 'Type: message' (or None)."""
    try:
        fn()
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return None


def finish():
    from mpi4py import MPI
    everyone = MPI.COMM_WORLD.gather(results, root=0)
    if MPI.COMM_WORLD.Get_rank() == 0:
        with open(sys.argv[1], "w") as f:
            json.dump(everyone, f)
    if dist.is_initialized():
        dist.destroy_process_group()
