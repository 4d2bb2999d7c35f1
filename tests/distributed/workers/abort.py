"""Rank 1 raises while rank 0 waits in a barrier: the excepthook installed by
init_process_group must abort the whole job (MPI_Abort) instead of leaving rank 0 waiting."""
import time

import autograd.distributed as dist

dist.init_process_group("mpi")
if dist.get_rank() == 1:
    time.sleep(0.2)
    raise ValueError("boom on rank 1")
dist.barrier()                      # never completes: rank 1 is gone
time.sleep(60)
