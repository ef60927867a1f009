"""The Dask backend on a real LocalCluster (2 worker processes, loopback only).

Results must equal the local backend's exactly, for the same seed, whatever the grouping of
blocks into tasks, and also when a worker process is killed mid-run (its tasks are recomputed
elsewhere; they are pure functions of the seed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="needs the [dask] extra")

import modelcollapse.validation.dask_backend as dask_backend  # noqa: E402
from modelcollapse.validation import simulate  # noqa: E402
from modelcollapse.validation.dask_backend import run_on_dask  # noqa: E402
from modelcollapse.validation.engine import BLOCK, merge  # noqa: E402

LOOPBACK = "tcp://127.0.0.1:"


def assert_same(a, b) -> None:
    """Every data variable and coordinate equal, NaN where NaN."""
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        assert np.array_equal(a[name].values, b[name].values, equal_nan=True), name
    for name in a.coords:
        assert np.array_equal(a[name].values, b[name].values), name


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  scheduler_kwargs=dask_backend.LOCAL_SCHEDULER_KWARGS) as cl:
        yield cl


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster, set_as_default=False) as cl:
        yield cl


def listening_hosts() -> set[str]:
    """Hosts of the listening TCP sockets of this process and its children (the workers)."""
    import psutil

    me = psutil.Process()
    hosts = set()
    for proc in [me, *me.children(recursive=True)]:
        try:
            conns = proc.net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            continue
        hosts |= {c.laddr.ip for c in conns if c.status == psutil.CONN_LISTEN}
    return hosts


def test_cluster_listens_on_loopback_only(cluster, client) -> None:
    assert cluster.scheduler_address.startswith(LOOPBACK)
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 2
    assert all(addr.startswith(LOOPBACK) for addr in workers)
    assert listening_hosts() == {"127.0.0.1"}


@pytest.mark.parametrize("family", ["gaussian-variance", "categorical"])
@pytest.mark.parametrize("chunk_size", [BLOCK, 2 * BLOCK, None])
def test_dask_equals_local(cluster, family: str, chunk_size: int | None) -> None:
    # 4 blocks (the last one short): 4, 2 or os.cpu_count() tasks
    kwargs = dict(T=40, reps=3 * BLOCK + 1234, seed=7, chunk_size=chunk_size, progress=False)
    local = simulate(family, **kwargs)
    remote = simulate(family, backend="dask", scheduler=cluster.scheduler_address, **kwargs)
    assert remote.attrs["backend"] == "dask"
    assert_same(remote, local)


def test_dask_equals_local_brute_force_with_trajectories(cluster) -> None:
    kwargs = dict(T=10, reps=BLOCK + 500, seed=3, mode="brute", trajectories=True,
                  chunk_size=BLOCK, progress=False)
    local = simulate("gaussian", **kwargs)
    remote = simulate("gaussian", backend="dask", scheduler=cluster.scheduler_address, **kwargs)
    assert "trajectory" in remote
    assert_same(remote, local)


def test_progress_bar_does_not_change_the_result(cluster) -> None:
    spec, groups = capture_spec("poisson", T=20, reps=2 * BLOCK, seed=5, chunk_size=BLOCK)
    quiet = run_on_dask(spec, groups, scheduler=cluster.scheduler_address)
    shown = run_on_dask(spec, groups, scheduler=cluster.scheduler_address, progress=True)
    assert [p.first_block for p in shown] == [g.start for g in groups]
    a, b = merge(quiet), merge(shown)
    assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a if a[k] is not None)


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "not an address"])
def test_unreachable_scheduler_is_a_value_error(address: str) -> None:
    start = time.monotonic()
    with pytest.raises(ValueError, match="cannot reach the Dask scheduler at") as info:
        simulate("gaussian-variance", T=5, reps=10, backend="dask", scheduler=address,
                 progress=False)
    message = str(info.value)
    assert repr(address) in message and "\n" not in message
    assert message.endswith("allowed: a running scheduler address, or none for a local cluster")
    assert time.monotonic() - start < 10


def test_silent_port_is_a_value_error_not_a_hang() -> None:
    import socket

    with socket.socket() as sock:  # accepts connections, never answers the Dask handshake
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
        start = time.monotonic()
        with pytest.raises(ValueError, match="cannot reach the Dask scheduler at"):
            simulate("gaussian-variance", T=5, reps=10, backend="dask", scheduler=address,
                     progress=False)
        assert time.monotonic() - start < 10


def test_cli_unreachable_scheduler_exits_2_with_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "modelcollapse", "simulate", "gaussian-variance", "--backend",
         "dask", "--scheduler", "tcp://127.0.0.1:1", "--T", "5", "--reps", "10"],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'")


class SpyCluster(distributed.LocalCluster):
    """A LocalCluster that remembers its instances and where it listened."""

    instances: list[SpyCluster] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        SpyCluster.instances.append(self)
        self.seen_kwargs = kwargs
        self.seen_addresses = [self.scheduler_address] + [
            addr for nanny in self.workers.values()
            for addr in (nanny.address, nanny.worker_address)]
        self.seen_hosts = listening_hosts()


@pytest.fixture
def spy(monkeypatch):
    SpyCluster.instances = []
    monkeypatch.setattr(distributed, "LocalCluster", SpyCluster)
    return SpyCluster.instances


def test_default_starts_and_closes_its_own_local_cluster(spy) -> None:
    kwargs = dict(T=20, reps=2 * BLOCK + 10, seed=2, chunk_size=BLOCK, progress=False)
    remote = simulate("bernoulli", backend="dask", **kwargs)
    assert_same(remote, simulate("bernoulli", **kwargs))
    assert len(spy) == 1
    (cluster,) = spy
    assert cluster.seen_kwargs["n_workers"] == 2
    assert cluster.seen_kwargs["processes"] is True
    assert cluster.seen_kwargs["dashboard_address"] is None
    assert len(cluster.seen_addresses) == 5
    assert all(addr.startswith(LOOPBACK) for addr in cluster.seen_addresses)
    assert cluster.seen_hosts == {"127.0.0.1"}
    assert cluster.status == distributed.core.Status.closed


def capture_spec(family: str, **kwargs):
    """The Spec and groups that ``simulate`` hands to the Dask backend."""
    seen = {}

    def fake(spec, groups, **_):
        seen.update(spec=spec, groups=groups)
        raise LookupError("captured")

    original = dask_backend.run_on_dask
    dask_backend.run_on_dask = fake
    try:
        with pytest.raises(LookupError, match="captured"):
            simulate(family, backend="dask", progress=False, **kwargs)
    finally:
        dask_backend.run_on_dask = original
    return seen["spec"], seen["groups"]


def test_local_cluster_is_closed_when_a_task_fails(spy) -> None:
    spec, _ = capture_spec("gaussian-variance", T=5, reps=100, seed=0)
    with pytest.raises(IndexError):  # block 1 does not exist: the task fails on its worker
        run_on_dask(spec, [range(0, 1), range(1, 2)])
    assert len(spy) == 1
    assert spy[0].status == distributed.core.Status.closed


def test_no_groups_starts_no_cluster(spy) -> None:
    spec, _ = capture_spec("gaussian-variance", T=5, reps=100, seed=0)
    assert run_on_dask(spec, []) == []
    assert spy == []


def test_missing_distributed_is_a_value_error(monkeypatch) -> None:
    spec, groups = capture_spec("gaussian-variance", T=5, reps=100, seed=0)
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(dask_backend.DaskUnavailableError, match=r"modelcollapse\[dask\]") as info:
        run_on_dask(spec, groups)
    assert isinstance(info.value, ValueError) and isinstance(info.value, ImportError)


def test_killed_worker_is_recomputed_and_the_result_is_identical(cluster, client) -> None:
    # a dozen tasks of one block each, a few seconds in all
    kwargs = dict(T=300, reps=12 * BLOCK, seed=11, chunk_size=BLOCK, progress=False)
    local = simulate("gaussian-variance", **kwargs)
    pids = client.run(os.getpid)
    killed: dict = {}
    done = threading.Event()

    def ours(keys) -> list:
        return [k for k in keys if str(k).startswith("modelcollapse-run_blocks")]

    def kill_a_busy_worker() -> None:
        # SIGKILL a worker that runs one of our tasks and also holds finished results of ours
        # (not gathered yet): the scheduler has to recompute both elsewhere
        while not done.is_set():
            busy = {addr for addr, keys in client.processing().items() if ours(keys)}
            holders = client.who_has()
            held = {addr: sum(addr in holders[k] for k in ours(holders)) for addr in busy}
            target = next((addr for addr, n in held.items() if n > 0), None)
            if target is not None:
                os.kill(pids[target], signal.SIGKILL)
                killed.update(addr=target, held=held[target])
                return
            time.sleep(0.02)

    thread = threading.Thread(target=kill_a_busy_worker, daemon=True)
    thread.start()
    try:
        remote = simulate("gaussian-variance", backend="dask",
                          scheduler=cluster.scheduler_address, **kwargs)
    finally:
        done.set()
        thread.join()
    assert killed, "the run ended before a worker could be killed: give it more work"
    assert_same(remote, local)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
    assert pids[killed["addr"]] not in client.run(os.getpid).values()


def test_teardown_after_ctrl_c_drops_distributed_records_even_if_levels_are_restored() -> None:
    """After Ctrl-C the scheduler logs its killed workers' closed comms at INFO with a
    traceback, after the cluster has restored its handlers' levels; the teardown filter must
    drop those records and leave the handlers as they were."""
    import io
    import logging

    logger = logging.getLogger("distributed.batched")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    parent = logging.getLogger("distributed")
    parent.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        with dask_backend._silenced("distributed"):
            handler.setLevel(logging.NOTSET)  # what the cluster's silence_logs does on close
            logger.info("Batched Comm Closed", exc_info=(ValueError, ValueError("x"), None))
        assert stream.getvalue() == ""
        logger.info("after")
        assert stream.getvalue() == "after\n"
        assert handler.filters == []
    finally:
        parent.removeHandler(handler)
        logger.setLevel(level)
