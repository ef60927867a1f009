"""Dask LocalCluster (2 worker processes) against the local backend (2 threads).

Run: python benchmarks/dask_vs_local.py [--reps 100000] [--T 999] [--repeat 2]

10**8 replication-steps by default: gaussian-variance, reps = 10**5, T = 999, n_t = 100 t
(schedule ``n0*t`` with n0 = 100), exact one-step law. Prints, measured in this one run:

* the local backend with 2 threads (best of ``--repeat``);
* the cluster start-up (LocalCluster with 2 single-threaded worker processes, loopback) and
  its shut-down, timed apart from the run;
* the Dask run on that started cluster (best of ``--repeat``), and ``backend="dask"`` with no
  address (start-up, run and shut-down together, as a user without a cluster sees it);
* the ratios, and that both backends gave identical numbers.
"""

from __future__ import annotations

import argparse
import logging
import os
import time

import numpy as np

from modelcollapse.schedules import Schedule
from modelcollapse.validation import simulate
from modelcollapse.validation.dask_backend import (
    LOCAL_SCHEDULER_KWARGS,
    LOCAL_WORKERS,
    LOOPBACK,
)


def best_of(repeat: int, fn):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100_000)
    parser.add_argument("--T", type=int, default=999)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    kwargs = dict(schedule=Schedule("n0*t", n0=100), T=args.T, reps=args.reps, seed=2024,
                  progress=False)
    steps = args.reps * (args.T + 1)
    print(f"gaussian-variance, reps = {args.reps}, T = {args.T}, n_t = 100 t: "
          f"{steps:.3g} replication-steps; {os.cpu_count()} cores")

    local_s, local = best_of(args.repeat, lambda: simulate("gaussian-variance", workers=2,
                                                           **kwargs))
    print(f"  local backend, 2 threads        {local_s:8.2f} s  "
          f"({steps / local_s / 1e6:.1f} M steps/s)")

    start = time.perf_counter()
    cluster = LocalCluster(n_workers=LOCAL_WORKERS, threads_per_worker=1, processes=True,
                           host=LOOPBACK, dashboard_address=None,
                           scheduler_kwargs=LOCAL_SCHEDULER_KWARGS, silence_logs=logging.ERROR)
    client = Client(cluster, set_as_default=False)
    startup_s = time.perf_counter() - start
    try:
        dask_s, remote = best_of(args.repeat, lambda: simulate(
            "gaussian-variance", backend="dask", scheduler=cluster.scheduler_address, **kwargs))
    finally:
        start = time.perf_counter()
        client.close()
        cluster.close()
        close_s = time.perf_counter() - start
    print(f"  cluster start-up (2 processes)  {startup_s:8.2f} s   shut-down {close_s:.2f} s")
    print(f"  dask backend, started cluster   {dask_s:8.2f} s  "
          f"({steps / dask_s / 1e6:.1f} M steps/s)")

    start = time.perf_counter()
    simulate("gaussian-variance", backend="dask", **kwargs)
    default_s = time.perf_counter() - start
    print(f"  dask backend, own cluster       {default_s:8.2f} s  (start-up + run + shut-down)")

    same = all(np.array_equal(local[v].values, remote[v].values, equal_nan=True)
               for v in local.data_vars)
    print(f"ratio dask / local: {dask_s / local_s:.2f} (run only), "
          f"{default_s / local_s:.2f} (with its own cluster); identical results: {same}")


if __name__ == "__main__":  # the worker processes are spawned: they re-import this module
    main()
