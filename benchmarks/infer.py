"""Benchmarks of the Bayesian part (SPEC section 6): cold fit, warm refit, collapse table, SBC.

Run ``python benchmarks/infer.py``; record the output in docs/benchmarks.md. Targets (2 cores,
4 chains x 1000 tuning + 1000 draws): warm refit (compiled model, new data) <= 1 s for 600
transitions and <= 6 s for 2000; cold fit including compilation <= 20 s; collapse table for
4000 draws x 4 schedules x H = 1000 <= 2.5 s; 100 SBC replications at R = 5, T = 30 <= 120 s.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")


def _data(trajectories: int, generations: int, seed: int):
    from modelcollapse.inference.calibration import DEFAULT_SIZES, Design, simulate_design

    return simulate_design(Design(trajectories, generations, DEFAULT_SIZES), 2.0, 0.5,
                           seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sbc-replications", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3, help="warm refits per size")
    args = parser.parse_args()

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
