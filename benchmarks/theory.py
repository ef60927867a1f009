"""Benchmarks of the symbolic theory (issue: foundation). Run: python benchmarks/theory.py

Prints, measured in this one run:
* derive() of every built-in family, symbolic plus numeric at T = 10**4: cold and warm seconds;
* ``modelcollapse derive ... --json`` as a process against ``python -c "import sympy"``
  (the ratio; the target is at most 2x, and PyMC must not be imported);
* the numeric evaluation at T = 10**6 (target: under a second), and the same quantity by a
  plain Python loop over the generations (the brute-force recursion) for the ratio.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import numpy as np

from modelcollapse.families import family_names, get_family
from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive
from modelcollapse.theory.moments import parameter_moments


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def process_seconds(args: list[str], repeat: int = 7) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    schedule = Schedule("n0*t**1.5", n0=10)
    print("derive, symbolic + numeric at T = 10**4 (seconds)")
    print(f"  {'family':<18} {'cold':>8} {'warm':>8}")
    for name in family_names():
        start = time.perf_counter()
        derive(name, schedule=schedule, T=10**4)
        cold = time.perf_counter() - start
        warm = best_of(lambda name=name: derive(name, schedule=schedule, T=10**4))
        print(f"  {name:<18} {cold:8.3f} {warm:8.3f}")

    sympy_s = process_seconds([sys.executable, "-c", "import sympy"])
    cli_s = process_seconds([sys.executable, "-m", "modelcollapse", "derive", "gaussian-variance",
                             "--n0", "10", "--schedule", "n0*t", "--T", "1000", "--json"])
    print(f"\nprocess: derive --json {cli_s:.3f} s, import sympy {sympy_s:.3f} s, "
          f"ratio {cli_s / sympy_s:.2f} (target <= 2)")

    fam = get_family("gaussian-variance")
    sizes = Schedule("n0*t", n0=10).sizes(10**6, minimum=2)
    values = {"sigma2": np.array([1.0])}
    engine = best_of(lambda: parameter_moments(fam, values, sizes), repeat=3)

    def python_loop() -> float:
        mean, var = 1.0, 0.0  # the same recursion, one generation at a time
        for n in sizes.tolist():
            var = (1 + 2 / (n - 1)) * var + 2 / (n - 1) * mean**2
        return var

    loop = best_of(python_loop, repeat=3)
    full = best_of(lambda: derive("gaussian-variance", schedule=Schedule("n0*t", n0=10),
                                  T=10**6), repeat=3)
    print(f"\nnumeric moments at T = 10**6: engine {engine:.3f} s, Python loop {loop:.3f} s, "
          f"ratio {loop / engine:.1f}x; whole derive() {full:.3f} s (target < 1 s)")


if __name__ == "__main__":
    main()
