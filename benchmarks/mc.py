"""Benchmarks of the Monte Carlo engine. Run: python benchmarks/mc.py [--quick]

Prints, measured in this one run:
1. exact vs brute force, Gaussian variance, R = 1000, T = 100, n_t = 100 t (target >= 1000x);
2. the engine vs the bare numpy draws it needs (the same chi-square draws, one thread;
   target <= 1.5x), and two threads vs one (target >= 1.7x);
3. 10**6 replications x 1000 generations of the Gaussian-variance walk: time and peak memory
   (target < 1 GB), measured in a fresh process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

from modelcollapse.schedules import Schedule
from modelcollapse.validation import simulate
from modelcollapse.validation.engine import BLOCK


def seconds(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def exact_vs_brute(quick: bool) -> None:
    T = 30 if quick else 100
    kw = dict(schedule=Schedule("n0*t", n0=100), T=T, reps=1000, seed=0, progress=False)
    exact = seconds(lambda: simulate("gaussian-variance", mode="exact", **kw), repeat=7)
    brute = seconds(lambda: simulate("gaussian-variance", mode="brute", **kw), repeat=1)
    print(f"1. exact {exact:.4f} s, brute {brute:.2f} s (R=1000, T={T}, n_t=100 t): "
          f"exact is {brute / exact:.0f}x faster (target >= 1000x)")


def engine_vs_numpy(quick: bool) -> None:
    reps, T = (200_000, 50) if quick else (1_000_000, 100)
    sizes = Schedule("n0*t", n0=100).sizes(T)

    def bare() -> None:
        # the draws the engine needs, per block as the engine draws them
        children = np.random.SeedSequence(0).spawn(-(-reps // BLOCK))
        rngs = [np.random.default_rng(c) for c in children]
        state = np.ones(reps)
        for n in sizes.tolist():
            for k, rng in enumerate(rngs):
                block = state[k * BLOCK:(k + 1) * BLOCK]
                block *= rng.chisquare(n - 1, size=block.shape) / (n - 1)

    kw = dict(schedule=Schedule("n0*t", n0=100), T=T, reps=reps, seed=0, progress=False)
    numpy_s = seconds(bare)
    one = seconds(lambda: simulate("gaussian-variance", workers=1, **kw))
    two = seconds(lambda: simulate("gaussian-variance", workers=2, **kw))
    print(f"2. R={reps}, T={T}: bare numpy draws {numpy_s:.2f} s, engine on 1 thread "
          f"{one:.2f} s ({one / numpy_s:.2f}x the draws, target <= 1.5x); "
          f"2 threads {two:.2f} s ({one / two:.2f}x over 1, target >= 1.7x)")


def large_run(quick: bool) -> None:
    reps, T = (100_000, 100) if quick else (1_000_000, 1000)
    code = (
        "import resource, time\n"
        "from modelcollapse.schedules import Schedule\n"
        "from modelcollapse.validation import simulate\n"
        "start = time.perf_counter()\n"
        f"simulate('gaussian-variance', schedule=Schedule('n0*t', n0=100), T={T}, "
        f"reps={reps}, seed=0, progress=False)\n"
        "print(time.perf_counter() - start, "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    secs, peak_kb = float(out[0]), int(out[1])
    print(f"3. R={reps} x T={T}: {secs:.1f} s, peak memory {peak_kb / 2**20:.2f} GiB "
          f"(target < 1 GB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    quick = parser.parse_args().quick
    exact_vs_brute(quick)
    engine_vs_numpy(quick)
    large_run(quick)


if __name__ == "__main__":
    main()
