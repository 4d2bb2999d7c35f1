"""A rank that raises ends the whole job within seconds (MPI_Abort from the excepthook that
init_process_group installs) instead of leaving the other ranks blocked in a collective."""
import time



def test_an_exception_on_one_rank_aborts_the_job(mpi_launch):
    start = time.perf_counter()
    proc, _ = mpi_launch("abort", timeout=60)
    elapsed = time.perf_counter() - start
    assert proc.returncode != 0
    assert "boom on rank 1" in proc.stderr and "aborting all 2 ranks" in proc.stderr
    assert elapsed < 20                                # rank 0 sat in a barrier that never ends
