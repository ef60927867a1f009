"""Benchmarks of the posterior of the bias: cold fit, warm refit, collapse table, SBC.

Run ``python benchmarks/infer.py``; record the output in docs/benchmarks.md. Targets (2 cores,
4 chains x 1000 tuning + 1000 draws): warm refit (compiled model, new data) <= 1 s for 600
transitions and <= 6 s for 2000; cold fit including compilation <= 20 s; collapse table for
4000 draws x 4 schedules x H = 1000 <= 2.5 s; 100 SBC replications at R = 5, T = 30 <= 120 s.

``fit_bias`` itself (issue 11; 2 cores): the first fit in a fresh process, compilation included,
<= 5 s; a second fit on new data of the same family in the same process (the cached model and
compiled step) <= 1 s; ``modelcollapse infer DATA.csv`` as a process <= 10 s; PyMC's NUTS
against nutpie for the first fit (the default sampler is the cheaper one). ``--quick`` runs only
these, on small sizes (``--draws``, ``--chains``), to try the script.
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")


def _data(trajectories: int, generations: int, seed: int):
    from modelcollapse.inference.calibration import DEFAULT_SIZES, Design, simulate_design

    return simulate_design(Design(trajectories, generations, DEFAULT_SIZES), 2.0, 0.5,
                           seed=seed)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (sampler processes, the CLI):
    on a loaded machine a better measure of the cost than the wall clock."""
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                      resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _fit_in_fresh_process(sampler: str, draws: int, chains: int) -> tuple[float, float, float]:
    """(import seconds, first fit_bias seconds and CPU seconds) in a new interpreter: nothing
    compiled in memory (PyTensor's on-disk cache of C code stays, as for any user after the
    first run)."""
    code = f"""
import time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
from modelcollapse.inference import fit_bias
import modelcollapse.inference.fit
t1 = time.perf_counter()
from benchmarks.infer import _cpu, _data
d = _data(20, 30, 1)
t2, c2 = time.perf_counter(), _cpu()
fit_bias(d, sampler={sampler!r}, draws={draws}, tune={draws}, chains={chains}, seed=0)
print(t1 - t0, time.perf_counter() - t2, _cpu() - c2)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent.parent)
    imported, fitted, cpu = (float(x) for x in out.stdout.split())
    return imported, fitted, cpu


def fit_bias_timings(draws: int, chains: int, repeats: int, nutpie: bool) -> None:
    """The first fit (fresh process), the second fit (same process, new data), the process."""
    from modelcollapse.inference.fit import fit_bias

    for sampler in ("pymc", "nutpie") if nutpie else ("pymc",):
        imported, first, cpu = _fit_in_fresh_process(sampler, draws, chains)
        print(f"first fit_bias, fresh process ({sampler}, {chains} x {draws})  {first:7.2f} s   "
              f"target <= 5 s (CPU {cpu:.2f} s; imports before it {imported:.2f} s)")
    for sampler in ("pymc", "nutpie") if nutpie else ("pymc",):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit_bias(_data(20, 30, 1), draws=draws, tune=draws, chains=chains, seed=0,
                     sampler=sampler)
            times, cpu = [], []
            for i in range(repeats):
                fresh = _data(20, 30, 10 + i)
                t0, c0 = time.perf_counter(), _cpu()
                post = fit_bias(fresh, draws=draws, tune=draws, chains=chains, seed=i,
                                sampler=sampler)
                times.append(time.perf_counter() - t0)
                cpu.append(_cpu() - c0)
        print(f"second fit_bias, new data ({sampler}, {chains} x {draws})  "
              f"{np.median(times):7.2f} s   target <= 1 s (median of {repeats}: "
              f"{', '.join(f'{x:.2f}' for x in times)}; CPU {np.median(cpu):.2f} s; "
              f"ESS min {post.ess_bulk_min:.0f})")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pipeline.csv"
        cols = _data(20, 30, 1).to_dict()
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["trajectory", "t", "n", "estimate"])
            writer.writerows(zip(cols["trajectory"], cols["t"], cols["n"], cols["estimate"],
                                 strict=True))
        t0, c0 = time.perf_counter(), _cpu()
        subprocess.run([sys.executable, "-m", "modelcollapse", "infer", str(path), "--json",
                        "--draws", str(draws), "--tune", str(draws), "--chains", str(chains),
                        "--out", str(Path(folder) / "post.nc"), "--overwrite"],
                       capture_output=True, check=True)
        took, cpu_took = time.perf_counter() - t0, _cpu() - c0
    print(f"modelcollapse infer --out POST.nc, process ({chains} x {draws}) {took:7.2f} s   "
          f"target <= 10 s (CPU {cpu_took:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sbc-replications", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3, help="warm refits per size")
    parser.add_argument("--quick", action="store_true",
                        help="only the fit_bias timings (first, second, process)")
    parser.add_argument("--draws", type=int, default=1000, help="draws (and tuning) per chain")
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--no-nutpie", action="store_true", help="skip nutpie's first fit")
    args = parser.parse_args()
    fit_bias_timings(args.draws, args.chains, args.repeats, not args.no_nutpie)
    if args.quick:
        return

    t0 = time.perf_counter()
    from modelcollapse.inference import answers
    from modelcollapse.inference.calibration import _COMPILED, Refitter, sbc
    from modelcollapse.inference.fit import fit_bias
    from modelcollapse.schedules import Schedule

    print(f"imports (pymc, nutpie, ...)                 {time.perf_counter() - t0:7.2f} s")
    settings = {"draws": 1000, "tune": 1000, "chains": 4}
    d600, d2000 = _data(20, 30, 1), _data(50, 40, 2)

    # cold: build + compile + sample, nothing cached in this process
    _COMPILED.clear()
    t0 = time.perf_counter()
    ref = Refitter(d600)
    post = ref.fit(d600, seed=0, **settings)
    cold = time.perf_counter() - t0
    print(f"cold fit, 600 transitions ({ref.sampler})         {cold:7.2f} s   target <= 20 s "
          f"(compile {ref.compile_seconds:.2f} s; {'; '.join(post.problems()) or 'gates ok'})")

    for label, data in (("600", d600), ("2000", d2000)):
        times = []
        for i in range(args.repeats):
            fresh = _data(data.n_transitions // 30 if label == "600" else 50,
                          30 if label == "600" else 40, 10 + i)
            t0 = time.perf_counter()
            post = ref.fit(fresh, seed=i, **settings)
            times.append(time.perf_counter() - t0)
        target = 1 if label == "600" else 6
        print(f"warm refit, {label:>4} transitions ({ref.sampler})     "
              f"{np.median(times):7.2f} s   target <= {target} s (median of {args.repeats}: "
              f"{', '.join(f'{x:.2f}' for x in times)}; ESS min {post.ess_bulk_min:.0f})")

    # fit_bias itself on a prebuilt model (its sampler choice): compiles on every call
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        post = fit_bias(d600, seed=0, **settings)
    print(f"fit_bias(600 transitions), {post.sampler} via pm.sample  "
          f"{time.perf_counter() - t0:7.2f} s   (compiles each call)")

    kappa, alpha = answers.prior_draws(4000, seed=0)
    plans = {"constant": Schedule("n0", n0=100), "linear": Schedule("n0*t", n0=100),
             "t^1.5": Schedule("n0*t**1.5", n0=100), "t^2": Schedule("n0*t**2", n0=100)}
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        answers.collapse_table(kappa, alpha, plans, 1000, seed=0)
        times.append(time.perf_counter() - t0)
    print(f"collapse table 4000 draws x 4 x H=1000       {min(times):7.2f} s   target <= 2.5 s "
          f"(best of 3: {', '.join(f'{x:.2f}' for x in times)})")

    t0 = time.perf_counter()
    result = sbc(replications=args.sbc_replications, trajectories=5, generations=30, seed=0)
    took = time.perf_counter() - t0
    print(f"SBC {args.sbc_replications} x R=5, T=30 ({result.sampler})            "
          f"{took:7.2f} s   target <= 120 s ({'passed' if result.passed else 'FAILED'}; "
          f"min p {min(result.p_values.values()):.3g}; replications with divergences "
          f"{int(np.count_nonzero(result.divergences))})")


if __name__ == "__main__":
    main()
