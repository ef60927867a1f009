"""The ``modelcollapse`` command (also ``python -m modelcollapse``).

Every subcommand takes ``--json`` and then prints exactly one JSON object on stdout. Bad input
exits with status 2 and one line ``error: ...`` on stderr. PyMC is never imported here except
by ``infer`` (importing it costs seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import sys
import threading
import warnings
from collections.abc import Sequence
from typing import Any

from modelcollapse import __version__
from modelcollapse.extras import MissingExtraError, require
from modelcollapse.jsonable import null_reasons
from modelcollapse.outputs import (
    check_input,
    check_output,
    clear_interrupt,
    interrupt_requested,
    request_interrupt,
)

__all__ = ["main"]


class UsageError(Exception):
    """Bad input from the command line: exit status 2 with a one-line message."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print the usage block
        raise UsageError(message)


def _ascii(convert: type) -> Any:
    """An argparse type that reads the number from ASCII text only: ``int`` and ``float``
    alone take look-alike digits (``int("１０") == 10``), which the expression language
    refuses."""

    def parse(text: str) -> Any:
        if not text.isascii():
            raise ValueError(text)
        return convert(text)

    parse.__name__ = convert.__name__  # argparse names the type in its one-line message
    return parse


_int = _ascii(int)
_float = _ascii(float)


def _horizon(text: str) -> int | float:
    if text.strip().lower() in ("inf", "infinity", "oo"):
        return math.inf
    try:
        value = _int(text)
    except ValueError:
        raise UsageError(f"--T must be an integer >= 0 or 'inf', got {text!r}") from None
    if value < 0:
        raise UsageError(f"--T must be an integer >= 0 or 'inf', got {text!r}")
    return value


def _params(items: Sequence[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or ():
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--param takes NAME=VALUE, got {item!r}")
        try:
            vals = [_float(v) for v in raw.split(",")]
        except ValueError:
            raise UsageError(f"--param {name.strip()} needs numbers (comma separated for a "
                             f"vector), got {raw!r}") from None
        out[name.strip()] = vals[0] if len(vals) == 1 else tuple(vals)
    return out


def _common(p: argparse.ArgumentParser, *, family: bool = True, improve: bool = False) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--n0", type=_int, default=100, help="size of generation 0 (default 100)")
    p.add_argument("--schedule", default="n0",
                   help="n_t for t >= 1 as an expression in t, n0, s (default 'n0'), or "
                        "explicit sizes n_0,n_1,... such as '100,200,400'")
    p.add_argument("--s", type=_float, default=None, help="value of s in the schedule")
    p.add_argument("--T", default="100", help="horizon: an integer, or 'inf' for the limit")
    if family:
        p.add_argument("--estimator", default=None, help="mle or unbiased (family default)")
        p.add_argument("--workflow", default="replace", choices=["replace", "accumulate", "mix"])
        p.add_argument("--real-ratio", type=_float, default=None, metavar="K",
                       help="--workflow mix: K fresh real points per synthetic point (default 1)")
        p.add_argument("--real-weight", default=None, metavar="W",
                       help="--workflow mix: weight W in (0, 1] of the real-data fit, or "
                            "'optimal' (default)")
        p.add_argument("--param", action="append", metavar="NAME=VALUE",
                       help="parameter value (repeatable), e.g. sigma2=2 or p=0.2,0.3,0.5")
        p.add_argument("--bias-kappa", type=_float, default=0.0, help="bias amplitude kappa >= 0")
        p.add_argument("--bias-exponent", type=_float, default=1.0, help="bias exponent alpha > 0")
    p.add_argument("--dim", type=_int, default=None,
                   help="dimension of an isotropic Gaussian mean (closed form, default 1) or "
                        "of a vector family (default 2; categorical: the cells of p)"
                   if improve else "dimension of a vector family: mvgaussian, "
                        "linear-regression (default 2), categorical (the cells of p)")


def _overwrite(p: argparse.ArgumentParser, text: str = "replace an existing --out") -> None:
    p.add_argument("--overwrite", action="store_true", help=text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="modelcollapse", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"modelcollapse {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("families", help="list the model families")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p = sub.add_parser("derive", help="symbolic and numeric results for one family")
    p.add_argument("family", help="family name (see 'modelcollapse families') or the path of "
                                  "a family file (*.toml)")
    _common(p)
    p.add_argument("--moment", type=_float, default=None, metavar="R",
                   help="also moment_T = E[theta_T^R] for a positive parameter, any real R")
    p.add_argument("--format", choices=["text", "latex"], default="text",
                   help="with --out: 'latex' writes a fragment and a macros file")
    p.add_argument("--out", default=None, help="file for --format latex (FILE.tex)")
    p.add_argument("--macro-prefix", default=None, metavar="PREFIX",
                   help="--format latex: the macros start with PREFIX (letters only, default "
                        "'mc'), so several exports can share one paper")
    _overwrite(p)
    p = sub.add_parser("improve", help="probability that recursive training beats real data")
    _common(p, family=False, improve=True)
    p.add_argument("--family", default="gaussian-mean",
                   help="family name or the path of a family file (*.toml); default "
                        "gaussian-mean (closed form), else Monte Carlo of the exact walk")
    p.add_argument("--estimator", default=None, help="mle or unbiased (family default)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="parameter value (repeatable), e.g. sigma2=2 or p=0.2,0.3,0.5")
    p.add_argument("--bias-kappa", type=_float, default=0.0, help="bias amplitude kappa >= 0")
    p.add_argument("--bias-exponent", type=_float, default=1.0, help="bias exponent alpha > 0")
    p.add_argument("--reps", type=_int, default=100_000,
                   help="Monte Carlo walks where no closed form applies (default 100000)")
    p.add_argument("--seed", type=_int, default=0, help="seed of the SeedSequence (default 0)")
    p = sub.add_parser("simulate", help="Monte Carlo random walks of one family")
    p.add_argument("family", help="family name (see 'modelcollapse families') or the path of "
                                  "a family file (*.toml)")
    _common(p)
    p.add_argument("--reps", type=_int, default=10_000, help="replications (default 10000)")
    p.add_argument("--seed", type=_int, default=0, help="seed of the SeedSequence (default 0)")
    p.add_argument("--mode", choices=["exact", "brute", "normal"], default=None,
                   help="exact one-step law (default where the family declares one), brute "
                        "force, or the normal approximation (default otherwise)")
    p.add_argument("--threshold", type=_float, default=1e-2,
                   help="collapsed: a scale below threshold x its true value (default 0.01)")
    p.add_argument("--backend", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (default: local)")
    p.add_argument("--workers", type=_int, default=None, help="threads (local backend)")
    p.add_argument("--out", default=None, help="write the Dataset: FILE.nc or FILE.csv")
    _overwrite(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("infer", help="posterior of collapse under uncertain estimator bias")
    p.add_argument("data", help="CSV with columns t, n, estimate (and optionally trajectory)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--family", default="gaussian-variance",
                   help="family of the estimates: a built-in name or a family file (*.toml); "
                        "default gaussian-variance")
    p.add_argument("--future-schedule", action="append", default=None, metavar="EXPR",
                   help="candidate future schedule in t and n0 (repeatable; default: "
                        "n0, n0*t, n0*t**1.5, n0*t**2, n0*t**3)")
    p.add_argument("--n0", type=_int, default=None,
                   help="n0 of the future schedules (default: the largest observed n)")
    p.add_argument("--horizon", type=_int, default=100, help="future generations (default 100)")
    p.add_argument("--epsilon", type=_float, default=0.01,
                   help="collapse: the estimate falls below epsilon x its last value")
    p.add_argument("--draws", type=_int, default=1000, help="posterior draws per chain")
    p.add_argument("--tune", type=_int, default=1000, help="tuning steps per chain")
    p.add_argument("--chains", type=_int, default=4, help="chains (default 4)")
    p.add_argument("--sampler", choices=["pymc", "nutpie", "auto"], default="pymc",
                   help="NUTS implementation (default pymc, measured fastest with compilation; "
                        "auto is pymc; nutpie optional)")
    p.add_argument("--seed", type=_int, default=0, help="random seed (default 0)")
    p.add_argument("--out", default=None, help="write the InferenceData to FILE.nc")
    _overwrite(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("reproduce", help="all figures, tables and LaTeX of the study")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", required=True,
                   help="output folder, built aside and moved into place complete")
    _overwrite(p, "replace an existing output folder as a whole")
    p.add_argument("--quick", action="store_true",
                   help="fewer replications and shorter horizons (under 2 minutes)")
    p.add_argument("--seed", type=_int, default=0, help="base seed (default 0)")
    p.add_argument("--data", metavar="FILE.csv", default=None,
                   help="also run the real-data study (F7) on this CSV table: numeric "
                        "covariates; a binary target gives logistic regression, else linear")
    p.add_argument("--target", metavar="COLUMN", default=None, help="response column of --data")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p = sub.add_parser("published", help="published closed-form results, one call each")
    p.add_argument("key", nargs="?", default=None, help="entry key (omit to list the entries)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--n0", type=_int, default=None, help="size of generation 0")
    p.add_argument("--schedule", default=None,
                   help="expression in t, n0, s or explicit sizes such as '100,200,400'")
    p.add_argument("--T", default=None, help="horizon: an integer, or 'inf' for the limit")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="an option of the entry (repeatable), e.g. p=0.05 or real_ratio=2")
    p = sub.add_parser("validate", help="theory versus Monte Carlo for every family")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--quick", action="store_true", help="fewer schedules and replications")
    p.add_argument("--seed", type=_int, default=0, help="base seed (default 0)")
    p.add_argument("--family", action="append", default=None, metavar="FAMILY",
                   help="restrict to a family (repeatable; default: all)")
    p.add_argument("--out", default=None, help="also write the checks to FILE.csv or FILE.json")
    _overwrite(p)
    p.add_argument("--inference", action="store_true",
                   help="also calibrate the Bayesian bias model (SBC and recovery; PyMC)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _cmd_families(args: argparse.Namespace) -> dict[str, Any]:
    from modelcollapse.families import family_names, get_family

    rows = []
    for name in family_names():
        fam = get_family(name)
        rows.append({
            "name": name,
            "title": fam.title,
            "parameters": [{"name": p.name, "symbol": p.latex, "domain": p.domain,
                            "default": p.default, "kind": p.kind}
                           for p in (*fam.parameters, *fam.constants)],
            "estimators": list(fam.estimators),
            "default_estimator": fam.default_estimator,
            "step_law": {e: fam.step_law(e) for e in fam.estimators},
            "collapse": fam.collapse,
        })
    if not args.json:
        for row in rows:
            params = ", ".join(f"{p['name']}={p['default']}" for p in row["parameters"])
            print(f"{row['name']:<18} {row['title']} ({params}); estimators: "
                  f"{', '.join(row['estimators'])}")
            for est, laws in row["step_law"].items():
                for pname, law in laws.items():
                    print(f"{'':<20}{est:<9} {pname}: {law}")
    return {"families": rows}


def _schedule(args: argparse.Namespace):
    """An expression in t, n0, s, or explicit sizes "100,200,400" (n_0, n_1, ...)."""
    from modelcollapse.schedules import Schedule

    return Schedule.from_text(args.schedule, n0=args.n0, s=args.s, name="--schedule")


def _mix_options(args: argparse.Namespace) -> dict[str, Any]:
    """``real_ratio`` and ``real_weight`` as given (a number, or the word 'optimal')."""
    weight = args.real_weight
    if weight is not None and weight != "optimal":
        try:
            weight = _float(weight)
        except ValueError:
            raise UsageError(f"--real-weight must be a number in (0, 1] or 'optimal', "
                             f"got {weight!r}") from None
    return {"real_ratio": args.real_ratio, "real_weight": weight}


def _cmd_derive(args: argparse.Namespace) -> dict[str, Any]:
    from modelcollapse.families import Bias
    from modelcollapse.theory import derive

    if args.format == "latex":  # both files checked before the work
        from modelcollapse.theory.latex import check_prefix, latex_paths

        if not args.out:
            raise UsageError("--format latex needs --out FILE.tex")
        args.macro_prefix = check_prefix("mc" if args.macro_prefix is None
                                         else args.macro_prefix)
        for path in latex_paths(args.out):
            check_output(path, name="--out", overwrite=args.overwrite)
    elif args.out:
        raise UsageError("--out needs --format latex")
    elif args.macro_prefix is not None:
        raise UsageError("--macro-prefix needs --format latex --out FILE.tex")
    result = derive(args.family, schedule=_schedule(args), T=_horizon(args.T),
                    estimator=args.estimator, workflow=args.workflow, params=_params(args.param),
                    bias=Bias(args.bias_kappa, args.bias_exponent), dim=args.dim,
                    moment=args.moment, **_mix_options(args))
    out = result.to_dict()
    if args.format == "latex":
        from modelcollapse.families import get_family
        from modelcollapse.theory.latex import write_latex

        # the family object (a family file's too) gives the parameters' symbols and the title
        out["files"] = write_latex(result, args.out, prefix=args.macro_prefix,
                                   overwrite=args.overwrite, family=get_family(args.family))
    if not args.json:
        print(result)
        for path in out.get("files", []):
            print(f"wrote {path}")
    return out


def _cmd_improve(args: argparse.Namespace) -> dict[str, Any]:
    from modelcollapse.families import Bias
    from modelcollapse.validation.improvement import family_improvement_probability

    schedule = _schedule(args)
    T = _horizon(args.T)
    res = family_improvement_probability(
        args.family, schedule=schedule, T=T, params=_params(args.param),
        estimator=args.estimator, bias=Bias(args.bias_kappa, args.bias_exponent), dim=args.dim,
        reps=args.reps, seed=args.seed)
    prob = res.probability
    dim = res.dim  # the dimension used: a vector family's default, not 1
    closed = res.method == "closed-form"
    inverse_sum = schedule.inverse_sum(T) if closed else None
    # explicit sizes as derive shows them (and as --schedule takes them), not null
    shown = schedule.text if schedule.text is not None else ",".join(
        str(n) for n in schedule.sizes_given)
    out = {"probability": prob, "method": res.method, "se": res.se, "family": res.family,
           "estimator": res.estimator, "n0": schedule.n0, "schedule": shown,
           "T": None if math.isinf(T) else T, "dim": dim,
           "inverse_sum": inverse_sum if closed and math.isfinite(inverse_sum) else None,
           "r": res.r}
    if not closed:
        out.update({"reps": res.reps, "seed": res.seed})
    if not args.json:
        how = {"closed-form": "closed form", "numeric": "numeric, from the exact law"}.get(
            res.method, f"Monte Carlo +/- {res.se:.2g}, {res.reps} walks, seed {res.seed}")
        print(f"P(T) = {prob:.6g}  ({how}; probability that generation T beats the real-data "
              f"fit; {res.family}, n0={schedule.n0}, schedule {shown}, T={args.T}, "
              f"dim={dim})")
    return out


def _cmd_simulate(args: argparse.Namespace) -> dict[str, Any]:
    from modelcollapse.families import Bias
    from modelcollapse.validation import simulate, summary_at_T

    T = _horizon(args.T)
    if math.isinf(T):
        raise UsageError("simulate needs a finite --T")
    if args.out is not None:
        if not args.out.endswith((".nc", ".csv")):
            raise UsageError(f"--out must end in .nc or .csv, got {args.out!r}")
        check_output(args.out, name="--out", overwrite=args.overwrite)
    ds = simulate(args.family, schedule=_schedule(args), T=T, reps=args.reps, seed=args.seed,
                  mode=args.mode, workflow=args.workflow, estimator=args.estimator,
                  params=_params(args.param), bias=Bias(args.bias_kappa, args.bias_exponent),
                  dim=args.dim, threshold=args.threshold, backend=args.backend,
                  scheduler=args.scheduler, workers=args.workers, **_mix_options(args),
                  progress=False if (args.quiet or args.json) else None)
    out = summary_at_T(ds)
    if args.out:
        _write_dataset(ds, args.out, args.overwrite)
        out["files"] = [args.out]
    if not args.json:
        print(f"{ds.attrs['family']} ({ds.attrs['estimator']}, {ds.attrs['mode']}), "
              f"{ds.attrs['reps']} replications, T = {T}, seed {ds.attrs['seed']}, "
              f"{ds.attrs['seconds']:.2f} s")
        for key in ("mean", "variance", "median", "q05", "q95", "collapsed_fraction"):
            print(f"  {key:<20} {out[key]}")
    return out


def _write_dataset(ds: Any, path: str, overwrite: bool) -> None:
    from modelcollapse.outputs import write_with

    if path.endswith(".nc"):
        write_with(path, ds.to_netcdf, overwrite=overwrite, name="--out")
    else:
        table = ds.drop_vars([v for v in ("final", "trajectory") if v in ds]).drop_dims(
            "rep").to_dataframe()
        write_with(path, table.to_csv, overwrite=overwrite, name="--out")


DEFAULT_FUTURE = ("n0", "n0*t", "n0*t**1.5", "n0*t**2", "n0*t**3")


def _cmd_infer(args: argparse.Namespace) -> dict[str, Any]:
    require("infer", "inference", *(["nutpie"] if args.sampler == "nutpie" else []))
    from modelcollapse.inference.answers import (
        collapse_table,
        format_table,
        growth_floor,
        growth_summary,
        why_unsupported,
    )
    from modelcollapse.inference.data import load_trajectories

    if args.out is not None:
        if not args.out.endswith(".nc"):
            raise UsageError(f"--out must end in .nc, got {args.out!r}")
        check_output(args.out, name="--out", overwrite=args.overwrite)
    if args.horizon < 1:
        raise UsageError(f"--horizon must be an integer >= 1, got {args.horizon}")
    if not 0 < args.epsilon < 1:
        raise UsageError(f"--epsilon must be in (0, 1), got {args.epsilon}")
    if args.n0 is not None and args.n0 < 1:
        raise UsageError(f"--n0 must be an integer >= 1, got {args.n0}")
    if args.seed < 0:
        raise UsageError(f"--seed must be an integer >= 0, got {args.seed}")
    # --family: a built-in name or a family file; the data carry the Family from here on
    data = load_trajectories(args.data, family=args.family)
    from modelcollapse.arguments import integer
    from modelcollapse.guards import check_posterior

    # checked before PyMC is imported (seconds); fit_bias checks them again for the API
    for name, value, low in (("draws", args.draws, 1), ("tune", args.tune, 0),
                             ("chains", args.chains, 1)):
        integer(f"--{name}", value, low=low)
    check_posterior(args.draws, args.chains, data.n_transitions)
    family = data.family_def
    n0 = args.n0 if args.n0 is not None else int(max(data.n))
    # known before sampling: collapse probabilities need a multiplicative law (else null)
    unsupported = why_unsupported(family)
    schedules = _future_schedules(args.future_schedule or DEFAULT_FUTURE, n0, args.horizon,
                                  family, args.epsilon, check=unsupported is None)
    from modelcollapse.inference.fit import fit_bias  # PyMC (seconds): after the data check

    # a family file by its path: the posterior keeps its text (from_netcdf reloads it)
    post = fit_bias(data, family=args.family if args.family.endswith(".toml") else family,
                    draws=args.draws, tune=args.tune,
                    chains=args.chains, seed=args.seed, sampler=args.sampler,
                    progress=not (args.quiet or args.json) and sys.stderr.isatty())
    growth = growth_summary(post.kappa, post.alpha, floor=growth_floor(family))
    rows = None if unsupported else collapse_table(
        post.kappa, post.alpha, schedules, args.horizon, family=family, epsilon=args.epsilon,
        seed=args.seed)
    out = {key: growth[key] for key in ("kappa", "alpha", "required_growth_exponent")}
    out["collapse_probability"] = None if rows is None else {r["schedule"]: r for r in rows}
    if unsupported:
        out["collapse_probability_note"] = unsupported
    out.update({"rhat_max": post.rhat_max, "ess_bulk_min": post.ess_bulk_min,
                "divergences": post.divergences, "family": data.family, "n0_future": n0,
                "horizon": args.horizon, "epsilon": args.epsilon,
                "transitions": data.n_transitions, "likelihood": post.likelihood,
                "likelihood_exact": post.exact})
    if args.out:
        out["files"] = [post.to_netcdf(args.out, overwrite=args.overwrite)]
    if not args.json:
        print(post)
        if rows is None:
            print(f"\nno collapse probabilities: {unsupported}")
        else:
            print(f"\nfuture schedules with n0 = {n0}, horizon {args.horizon}, "
                  f"collapse below {args.epsilon} x the last estimate:")
            print(format_table(rows))
    return out


def _future_schedules(texts: Sequence[str], n0: int, horizon: int, family: Any,
                      epsilon: float, *, check: bool) -> dict[str, Any]:
    """The --future-schedule options as Schedules, each checked before the sampling (seconds
    to minutes) that would otherwise come first: its sizes over the horizon and, where the
    answers apply, one walk without bias through the same checks as the answers themselves
    (sizes the family allows); only the bias factor waits for the posterior."""
    import numpy as np

    from modelcollapse.inference.answers import collapse_table
    from modelcollapse.schedules import Schedule

    schedules = {}
    for text in texts:
        try:
            schedule = Schedule(text, n0=n0)
            schedule.sizes(horizon)
            if check:
                collapse_table(np.zeros(1), np.ones(1), {text: schedule}, horizon,
                               family=family, epsilon=epsilon, seed=0)
        except (ValueError, TypeError, OverflowError) as exc:
            raise UsageError(f"--future-schedule {text!r}: {exc}") from None
        schedules[text] = schedule
    return schedules


def _cmd_reproduce(args: argparse.Namespace) -> dict[str, Any]:
    from modelcollapse.studies.reproduce import run_reproduce

    if (args.data is None) != (args.target is None):
        raise UsageError("--data FILE.csv and --target COLUMN must be given together")
    if args.data is not None:
        check_input(args.data, name="--data")
    out = run_reproduce(args.out, quick=args.quick, seed=args.seed,
                        progress=False if (args.quiet or args.json) else None,
                        overwrite=args.overwrite, data=args.data, target=args.target,
                        name="--out")
    if not args.json:
        print("\n".join(out["files"]))
    return out


def _cmd_published(args: argparse.Namespace) -> dict[str, Any]:
    from modelcollapse import published

    if args.key is None:
        entries = published.list()
        if not args.json:
            for e in entries:
                print(f"{e.key:<22} {e.title}\n{'':<22} {e.cli}")
        return {"published": [{"key": e.key, "title": e.title, "citation": e.citation,
                               "python_call": e.python_call, "cli": e.cli} for e in entries]}
    kwargs: dict[str, Any] = {}
    for item in args.param or ():  # numbers as for --param elsewhere, else a word (estimator=mle)
        try:
            kwargs.update(_params([item]))
        except UsageError:
            name, sep, word = item.partition("=")
            if not sep or not name.strip() or not word.strip().isidentifier():
                raise
            kwargs[name.strip()] = word.strip()
    for name, value in (("n0", args.n0), ("schedule", args.schedule)):
        if value is not None:
            kwargs[name] = value
    if args.T is not None:
        kwargs["T"] = _horizon(args.T)
    result = published.reproduce(args.key, **kwargs)
    if not args.json:
        print(result)
    return result.to_dict()


def _cmd_validate(args: argparse.Namespace) -> dict[str, Any]:
    from modelcollapse.validation.checks import run_validate

    if args.out is not None:
        check_output(args.out, name="--out", overwrite=args.overwrite)
    extra = None
    if args.inference:  # the Bayesian calibration is a check of the (higher) inference layer
        require("validate --inference", "inference")
        from functools import partial

        from modelcollapse.inference.checks import inference_checks

        extra = partial(inference_checks, quick=args.quick, seed=args.seed)
    return run_validate(quick=args.quick, seed=args.seed, families=args.family, out=args.out,
                        extra_checks=extra, progress=False if (args.quiet or args.json) else None,
                        echo=not args.json, overwrite=args.overwrite)


COMMANDS = {"families": _cmd_families, "derive": _cmd_derive, "improve": _cmd_improve,
            "simulate": _cmd_simulate, "validate": _cmd_validate, "infer": _cmd_infer,
            "reproduce": _cmd_reproduce, "published": _cmd_published}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    # warnings (e.g. convergence problems) as one readable line, not a source excerpt
    warnings.formatwarning = lambda message, category, *args, **kwargs: (
        f"warning: {' '.join(str(message).split())}\n")
    clear_interrupt()
    _TERMINATED.clear()
    previous = _catch_interrupts()
    previous_hook, sys.unraisablehook = sys.unraisablehook, _unraisable_hook(sys.unraisablehook)
    try:
        args = build_parser().parse_args(argv)
        out = COMMANDS[args.command](args)
        if interrupt_requested():  # a library caught the KeyboardInterrupt and carried on
            raise KeyboardInterrupt
        nulls = null_reasons(out)  # JSON writes NaN and infinities as null: say which, why
        if nulls:
            out = {**out, "nulls": nulls}
        if args.json:
            from modelcollapse.jsonable import jsonable

            print(json.dumps(jsonable({**out, "version": __version__}), allow_nan=False))
        if args.command == "validate" and not out["passed"]:
            return 1  # a failed check: the contract's exit status 1
    except (UsageError, ValueError, TypeError, OverflowError, MissingExtraError) as exc:
        message = " ".join(str(exc).split())
        print(f"error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
    except KeyboardInterrupt:  # outputs are atomic: nothing partial was left in place
        # SIGTERM (timeout, kill, a cancelled CI job) ends the same way, with the shell's
        # status for it, 128 + 15
        word, status = ("terminated", 143) if _TERMINATED.is_set() else ("interrupted", 130)
        print(word, file=sys.stderr)
        if argv is None:  # a shell's Ctrl-C: leave now (see _leave_now)
            _leave_now(status)
        return status
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = previous_hook
    return 0


def _unraisable_hook(previous: Any) -> Any:
    """A Ctrl-C that lands in a finaliser or a weakref callback cannot propagate: Python prints
    "Exception ignored in ..." with a traceback. It is already noted (``_on_sigint``) and
    raised at the next check, so it is dropped here; anything else goes to ``previous``."""

    def hook(unraisable: Any) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type,
                                                          KeyboardInterrupt):
            return
        previous(unraisable)

    return hook


def _leave_now(status: int) -> None:
    """Exit the process at once after the atexit handlers: the interpreter's teardown takes
    seconds once PyMC was imported, and every temporary output is already removed. What the
    handlers print is dropped (a Dask cluster cut off while starting complains at length)."""
    import atexit
    import io
    import multiprocessing

    for child in multiprocessing.active_children():  # Dask workers, PyMC chains: now
        with contextlib.suppress(Exception):
            child.kill()
    sys.stderr.flush()
    with contextlib.redirect_stderr(io.StringIO()):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


#: set when the interrupt was a SIGTERM (exit status 143, not 130)
_TERMINATED = threading.Event()


def _on_sigint(signum: int, frame: Any) -> None:
    request_interrupt()  # noted, for the commits and worker threads to see
    raise KeyboardInterrupt


def _on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM as a Ctrl-C: the same clean-up of temporary outputs and locks (Python's
    default would end the process on the spot and leave them behind)."""
    _TERMINATED.set()
    _on_sigint(signum, frame)


def _catch_interrupts() -> dict[int, Any]:
    """Note every SIGINT and SIGTERM while a command runs (main thread only); the previous
    handlers by signal.

    An ignored signal stays ignored, as Python itself leaves it: a shell starts background
    jobs with SIGINT ignored, and a Ctrl-C meant for the foreground must not end them."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for signum, handler in ((signal.SIGINT, _on_sigint), (signal.SIGTERM, _on_sigterm)):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, handler)
    return previous


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
