"""backend='nccl' on a real GPU, in a world of one rank (this process): CuPy's NCCL takes the
GPU tensors; DDP on the GPU steps as the plain model does. Several GPUs (mpiexec -n N
with --backend nccl) are owed to a machine that has them."""
import importlib.util

import numpy as np
import pytest

import autograd as ag

pytestmark = pytest.mark.gpu


@pytest.fixture
def nccl_world():
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip('needs mpi4py: pip install -e ".[dist,gpu]"')
    import autograd.distributed as dist
    dist.init_process_group("nccl")
    yield dist
    dist.destroy_process_group()


def test_collectives_on_gpu_tensors(nccl_world):
    dist = nccl_world
    assert dist.get_backend() == "nccl" and dist.get_world_size() == 1
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX):
        t = ag.tensor(x, device="cuda")
        dist.all_reduce(t, op=op)
        np.testing.assert_allclose(t.cpu().numpy(), x)
    t = ag.tensor(x, device="cuda")
    dist.all_reduce(t, async_op=True).wait()
    dist.broadcast(t, src=0)
    out = [ag.zeros((2, 3), device="cuda")]
    dist.all_gather(out, t)
    np.testing.assert_allclose(out[0].cpu().numpy(), x)
    dist.barrier()
    cpu = ag.tensor(x)                                  # CPU tensors still go to MPI
    dist.all_reduce(cpu)
    np.testing.assert_allclose(cpu.numpy(), x)


def test_ddp_on_gpu_steps_like_the_plain_model(nccl_world):
    import nn
    import nn.functional as F

    def build():
        ag.manual_seed(0)
        return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).to("cuda")
    plain, ddp = build(), nn.parallel.DistributedDataParallel(build(), device_ids=[0])
    x = ag.tensor(np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32), device="cuda")
    y = ag.tensor(np.array([0, 1, 2, 1]), device="cuda")
    for model in (plain, ddp):
        opt = nn.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(2):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    for p, q in zip(plain.parameters(), ddp.module.parameters()):
        np.testing.assert_allclose(p.cpu().numpy(), q.cpu().numpy(), rtol=1e-6, atol=1e-7)
