r"""Run the Monte Carlo engine on a Dask cluster: one task per group of blocks.

``simulate(..., backend="dask")`` hands its groups of blocks (each a ``range`` of block
indices) to :func:`run_on_dask`, which submits :func:`~modelcollapse.validation.engine.run_blocks`
once per group to a Dask cluster and gathers the
:class:`~modelcollapse.validation.engine.BlockPartials`.

Why the numbers equal the local backend's, bit for bit: block ``b`` always draws from the
generator seeded by child ``b`` of ``SeedSequence(seed).spawn(n_blocks)``, whichever process
runs it and whatever else that process runs, and
:func:`~modelcollapse.validation.engine.merge` combines the blocks in block order. A task is
therefore a pure function of ``(spec, blocks)``: when a worker dies, the scheduler runs its
tasks again elsewhere and gets the same partials, so the result is complete and identical.

The distributed scheduler is optional (the ``[dask]`` extra); it is imported only when
:func:`run_on_dask` is called.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import threading
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from modelcollapse.validation.engine import BlockPartials, Spec, run_blocks

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = ["run_on_dask", "DaskUnavailableError", "CONNECT_TIMEOUT", "LOCAL_WORKERS",
           "LOOPBACK", "LOCAL_SCHEDULER_KWARGS"]

#: seconds to wait for a scheduler given by address before giving up
CONNECT_TIMEOUT = 3.0
#: worker processes (one thread each) of the local cluster started when no address is given
LOCAL_WORKERS = 2
#: the only interface the local cluster listens on
LOOPBACK = "127.0.0.1"
#: no dashboard; the scheduler's small HTTP server (health, metrics) on a free loopback port:
#: without this it tries port 8787 and warns when another cluster already has it
LOCAL_SCHEDULER_KWARGS = {"dashboard": False, "dashboard_address": f"{LOOPBACK}:0"}


class DaskUnavailableError(ImportError, ValueError):
    """``backend="dask"`` was asked for but ``dask[distributed]`` is not installed.

    Both an :class:`ImportError` (what is missing) and a :class:`ValueError` (the backend
    choice is not allowed here), so the command line reports it as bad input.
    """


def _import_distributed():
    try:
        import distributed
    except ImportError as exc:
        raise DaskUnavailableError(
            f"backend 'dask' needs dask[distributed] ({exc}); allowed: install it with "
            "pip install 'modelcollapse[dask]', or use backend 'local'") from exc
    return distributed


def run_on_dask(
    spec: Spec,
    groups: Sequence[range],
    *,
    scheduler: str | None = None,
    progress: bool = False,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> list[BlockPartials]:
    """Run every group of blocks as one Dask task and return the partials.

    Parameters
    ----------
    spec : Spec
        The run (family, sizes, seed, ...), sent to the workers with each task.
    groups : sequence of range
        Consecutive block indices per task, as made by ``simulate``; together they cover
        ``range(spec.n_blocks)``.
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``. By default a
        :class:`distributed.LocalCluster` of :data:`LOCAL_WORKERS` worker processes with one
        thread each, listening on loopback only (:data:`LOOPBACK`, no dashboard), is started
        for this call and closed afterwards, also when the run fails.
    progress : bool, default False
        Show a progress bar of finished tasks (tqdm).
    connect_timeout : float, default :data:`CONNECT_TIMEOUT`
        Seconds to wait for the scheduler at ``scheduler``.

    Returns
    -------
    list of BlockPartials
        One per group, in the order of ``groups``; merge them with
        :func:`~modelcollapse.validation.engine.merge`.

    Raises
    ------
    ValueError
        ``scheduler`` cannot be reached within ``connect_timeout`` seconds or is not an
        address (one line naming it).
    DaskUnavailableError
        ``dask[distributed]`` is not installed (also a :class:`ValueError`).

    Notes
    -----
    The result equals the local backend's exactly: each block draws from its own child of
    ``SeedSequence(spec.seed)``, so a task's partials depend on ``(spec, blocks)`` only, not
    on the worker, on the other tasks or on retries. A worker lost mid-run has its tasks
    recomputed by the scheduler on another worker with the same outcome. Each call submits
    under fresh keys (a random token plus the first block), so concurrent runs on one
    cluster never share results.

    Examples
    --------
    >>> from modelcollapse.validation import simulate
    >>> ds = simulate("gaussian-variance", T=50, reps=20_000, seed=1,
    ...               backend="dask")  # doctest: +SKIP
    >>> ds = simulate("gaussian-variance", T=50, reps=20_000, seed=1, backend="dask",
    ...               scheduler="tcp://127.0.0.1:8786")  # doctest: +SKIP
    """
    distributed = _import_distributed()
    groups = list(groups)
    if not groups:
        return []
    if scheduler is None:
        # entered first, left last: a teardown after Ctrl-C stays quiet until the cluster
        # is closed, whatever log levels the cluster restores on its way out
        with contextlib.ExitStack() as teardown, \
                distributed.LocalCluster(n_workers=LOCAL_WORKERS, threads_per_worker=1,
                                         processes=True, host=LOOPBACK, dashboard_address=None,
                                         scheduler_kwargs=LOCAL_SCHEDULER_KWARGS,
                                         silence_logs=logging.ERROR) as cluster, \
                distributed.Client(cluster, set_as_default=False) as client:
            try:
                return _run(client, spec, groups, progress)
            except KeyboardInterrupt:
                teardown.enter_context(_silenced("distributed"))
                _kill_workers(cluster)
                raise
    client = _connect(distributed, scheduler, connect_timeout)
    with client:
        return _run(client, spec, groups, progress)


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


@contextlib.contextmanager
def _silenced(name: str):
    """Drop every record that reaches the handlers of logger ``name`` (and of the root
    logger) while the block runs. A filter on the handlers, not a level: the cluster's own
    ``silence_logs`` restores handler levels as it closes, and a scheduler losing its killed
    workers then logs "Batched Comm Closed" with a traceback at INFO."""
    drop = _DropAll()
    handlers = logging.getLogger(name).handlers + logging.getLogger().handlers
    for handler in handlers:
        handler.addFilter(drop)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(drop)


def _kill_workers(cluster) -> None:
    """Ctrl-C: end the local worker processes now. A worker in the middle of a task would
    otherwise finish it (or wait for the close timeout) and print its heartbeat failures."""
    # the client's pending gathers die with the run; their "never retrieved" notes are noise
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    for nanny in list(getattr(cluster, "workers", {}).values()):
        nanny.auto_restart = False  # a killed worker is not started again
        pid = getattr(nanny, "pid", None)
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _connect(distributed, address: str, timeout: float) -> Client:
    reason = _probe(address, timeout)
    if reason is None:
        try:
            return distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, ValueError, TypeError) as exc:  # TimeoutError is an OSError
            reason = " ".join(str(exc).split()) or type(exc).__name__
        # The half-built Client sits in a reference cycle. Collected later, possibly on its
        # own event-loop thread, its __del__ would block for 2 x timeout and print a
        # traceback; so collect it now, here, and raise unchained (a chain keeps it alive).
        gc.collect()
    raise ValueError(f"cannot reach the Dask scheduler at {address!r}: {reason}; allowed: "
                     "a running scheduler address, or none for a local cluster")


def _probe(address: str, timeout: float) -> str | None:
    """Open and close one connection with the Dask handshake, all within ``timeout`` seconds;
    None if that worked, else why not. ``Client`` alone waits forever for the handshake of a
    port that accepts connections but never answers. Runs on its own thread and event loop,
    so it also works where a loop is already running (Jupyter)."""
    from distributed.comm import connect

    async def handshake() -> None:
        comm = await connect(address, timeout=timeout)
        await comm.close()

    outcome: list[str | None] = []

    def target() -> None:
        try:
            asyncio.run(asyncio.wait_for(handshake(), timeout))
        except TimeoutError as exc:
            outcome.append(" ".join(str(exc).split()) or f"no answer within {timeout:g} s")
        except (OSError, ValueError, TypeError) as exc:
            outcome.append(" ".join(str(exc).split()) or type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - any failure of the handshake is the reason
            # e.g. a server that answers with a banner: its bytes read as a frame length of
            # exabytes (MemoryError); a traceback from this thread would bury the one line
            outcome.append(f"the server does not answer with the Dask protocol "
                           f"({type(exc).__name__})")
        else:
            outcome.append(None)

    thread = threading.Thread(target=target, name="modelcollapse-dask-probe", daemon=True)
    thread.start()
    thread.join()
    return outcome[0] if outcome else "the connection attempt failed"


def _run(client: Client, spec: Spec, groups: list[range], progress: bool
         ) -> list[BlockPartials]:
    token = uuid.uuid4().hex
    futures = [client.submit(run_blocks, spec, group,
                             key=f"modelcollapse-run_blocks-{token}-{group.start}")
               for group in groups]
    try:
        if progress:
            from distributed import as_completed

            from modelcollapse.progress import progress_bar

            bar = progress_bar(len(futures), f"simulate {spec.family.name} (dask)", unit="task")
            try:
                for _ in as_completed(futures, loop=client.loop):
                    bar.update(1)
            finally:
                bar.close()
        return client.gather(futures)
    finally:
        for future in futures:
            future.release()
