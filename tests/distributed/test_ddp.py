"""DistributedDataParallel and DistributedSampler on 2 ranks (one mpiexec launch for the file:
workers/ddp.py): N ranks with batch B step exactly as one process with batch N*B."""
WORKER = "ddp"


def test_construction_copies_rank0_and_keeps_the_models_keys(ranks):
    for r in ranks:
        c = r["construction_broadcasts_rank0"]
        assert c["vs_rank0"] == 0.0 and c["keys"] and c["prefixed"]
    assert ranks[0]["construction_broadcasts_rank0"]["sum"] == ranks[1]["construction_broadcasts_rank0"]["sum"]


def test_sgd_and_adam_steps_equal_one_process_on_the_doubled_batch(ranks):
    for r in ranks:
        sgd = r["sgd_equals_one_process"]
        assert sgd["diff"] < 1e-12 and not sgd["grads_alias_buckets"]   # handed-over buffers
        assert r["adam_equals_one_process"] < 1e-12
        view = r["bucket_view_equals_one_process"]
        assert view["diff"] < 1e-12 and view["grads_alias_buckets"]    # gradient_as_bucket_view


def test_no_sync_accumulates_locally_then_averages(ranks):
    for r in ranks:
        n = r["no_sync_accumulates_then_averages"]
        assert n["local_grads_differ"] > 1e-3          # nothing was communicated inside no_sync
        assert n["diff"] < 1e-12


def test_buckets_start_in_order_while_backward_runs(ranks):
    for r in ranks:
        b = r["buckets_fire_in_order_during_backward"]
        names = b["names"]
        for step in b["steps"]:
            n = len(step["buckets"])
            assert n >= 4
            assert step["started"] == [[i, True] for i in range(n)]    # index order, all mid-backward
            # overlap: most all-reduces were under way before backward reached the first layer
            assert step["at_first_layer"] >= n - 1
            first, last = step["buckets"][0], step["buckets"][-1]
            assert {names[i] for i in first} >= {"head.weight", "head.bias"}    # produced first
            assert "layers.0.weight" in {names[i] for i in last}
        assert b["steps"][0]["buckets"] == b["steps"][2]["buckets"]          # rebuilt once


def test_unused_parameters(ranks):
    for r in ranks:
        u = r["unused_parameters"]
        assert "find_unused_parameters=True" in u["error"] and "(3, 8)" in u["error"]
        # rank 0 used branch a, rank 1 branch b: both get the average, none stays None
        assert u["diff"] < 1e-12 and u["none"] == []


def test_distributed_sampler_partitions_the_dataset(ranks):
    shares = [r["sampler_shares"] for r in ranks]
    for key, n, padded in (("12 False", 12, 12), ("13 False", 13, 14), ("13 True", 13, 12)):
        a, b = shares[0][key]["indices"], shares[1][key]["indices"]
        assert len(a) == len(b) == shares[0][key]["len"] == padded // 2
        assert shares[0][key]["total"] == padded
        together = a + b
        if padded == n:
            assert sorted(together) == list(range(n))            # disjoint and complete
        elif padded > n:                                          # one index repeated to pad
            assert set(together) == set(range(n)) and len(together) == n + 1
        else:                                                     # drop_last: one index left out
            assert len(set(together)) == padded and set(together) < set(range(n))
