r"""``derive``: every result of the theory for one family, schedule and horizon.

Symbolic first: the moments of :math:`\hat\theta_T` as SymPy sums and products over the
indexed schedule :math:`n_t` (bias kept as the symbols :math:`\kappa, \alpha`); then numbers at
the given :math:`T` from the numerically stable solvers. ``T = inf`` gives the limits, or None
where a limit does not exist (it diverges) or cannot be computed exactly.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.arguments import choice, integer, mapping, real
from modelcollapse.errors import ChainTooLargeError, NoClosedFormError
from modelcollapse.families import Bias, Family, get_family
from modelcollapse.guards import MAX_DEGREE, MAX_DIMENSION, check_dimension
from modelcollapse.jsonable import jsonable, null_reasons
from modelcollapse.schedules import Schedule
from modelcollapse.theory import absorption, criteria, mixing, pooled_normal
from modelcollapse.theory.accumulate import (
    accumulate_route,
    pooled_law_moments,
    pooled_law_variance_symbolic,
)
from modelcollapse.theory.latex import latex
from modelcollapse.theory.limits import limit_values
from modelcollapse.theory.moments import (
    log_moments,
    log_parts,
    parameter_moments,
    power_moment,
    power_parts,
    solve_order,
)
from modelcollapse.theory.recursion import (
    MomentRecursion,
    coefficient_limit,
    recursion_for,
    solve_symbolic,
    variance_function,
)

__all__ = ["Derivation", "derive", "parameter_values"]

WORKFLOWS = ("replace", "accumulate", "mix")


def parameter_values(family: Family, params: Mapping[str, Any] | None = None, *,
                     dim: int | None = None) -> dict[str, np.ndarray]:
    """Validated parameter values as 1-D coordinate arrays, defaults filled in.

    >>> from modelcollapse.families import get_family
    >>> parameter_values(get_family("categorical"), {"p": (0.2, 0.8)})["p"].tolist()
    [0.2, 0.8]
    """
    params = mapping("params", params)
    names = [p.name for p in (*family.parameters, *family.constants)]
    for key in params:
        if key not in names:
            raise ValueError(f"unknown parameter {key!r} for {family.name}; "
                             f"allowed: {', '.join(names)}")
    d = _dimension(family, params, dim)
    out = {}
    for p in (*family.parameters, *family.constants):
        raw = params.get(p.name, p.default)
        if p.domain == "simplex" and p.name not in params and dim is not None:
            raw = (1 / d,) * d  # dim cells without p: equal probabilities
        vals = _values(family, p, raw)
        if p.domain == "simplex":
            arr = np.array([v if 0 <= v <= 1 else _bad_simplex(family, raw) for v in vals],
                           dtype=float)
            if len(arr) < 2 or abs(arr.sum() - 1) > 1e-9:
                _bad_simplex(family, raw)
        else:
            domain_param = p if p.domain != "spd" else _positive(p)
            arr = np.array([domain_param.check(v, family.name) for v in vals], dtype=float)
            if family.vector and p in family.constants and len(arr) != 1:
                # a known constant (the noise variance of least squares) is one number
                raise ValueError(f"constant {p.name} of {family.name} takes one value, "
                                 f"got {len(arr)}")
            if family.vector:
                if len(arr) == 1:
                    arr = np.full(d, arr[0])
                elif len(arr) != d:
                    raise ValueError(f"parameter {p.name} of {family.name} needs 1 or {d} values "
                                     f"(dim={d}), got {len(arr)}")
            elif len(arr) != 1:
                raise ValueError(f"parameter {p.name} of {family.name} takes one value, "
                                 f"got {len(arr)}")
        out[p.name] = arr
    return out


def _values(family: Family, p, raw: Any) -> list:
    """The values given for ``p``: one number or a flat sequence of numbers. Anything else (a
    string, None, a nested list, a dict) is a ``TypeError`` naming ``p`` and what it takes, for
    the whole value as given (one element's would hide which vector was meant)."""
    vals = np.atleast_1d(np.asarray(raw, dtype=object))
    if vals.ndim == 1 and all(isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)
                              for v in vals.tolist()):
        return [float(v) for v in vals.tolist()]
    if p.domain == "simplex":
        takes = "at least 2 probabilities in [0, 1] summing to 1"
    elif family.vector and p not in family.constants:  # a known constant is one number
        takes = f"{p.allowed} or a sequence of them (one per coordinate)"
    else:
        takes = p.allowed
    raise TypeError(f"parameter {p.name} of {family.name} must be {takes}, got {raw!r}")


def _positive(p):
    from dataclasses import replace

    return replace(p, domain="positive")


def _bad_simplex(family: Family, raw: Any):
    raise ValueError(f"parameter p of {family.name} must be at least 2 probabilities in [0, 1] "
                     f"summing to 1, got {raw!r}")


def _dimension(family: Family, params: Mapping[str, Any], dim: int | None) -> int:
    """The dimension: ``dim``, else the cells of a probability vector, else 2 for a vector
    family; at most :data:`modelcollapse.guards.MAX_DIMENSION` (100)."""
    if dim is not None:
        dim = integer("dim", dim, low=1)
    simplex = [p for p in family.parameters if p.domain == "simplex"]
    if simplex:  # the number of cells is the length of the probability vector
        p = simplex[0]
        # dtype=object: a ragged or non-numeric p reaches parameter_values' TypeError
        cells = len(np.atleast_1d(np.asarray(params.get(p.name, p.default), dtype=object)))
        if dim is None:
            return check_dimension(cells, family.name)
        if dim < 2 or p.name in params and dim != cells:
            given = f"{cells} cells of {p.name} given" if p.name in params else "no p given"
            raise ValueError(f"dim of {family.name} is the number of cells of {p.name}: an "
                             f"integer in [2, {MAX_DIMENSION}] ({given}), got {dim}")
        return check_dimension(dim, family.name)
    if family.vector:
        return check_dimension(2 if dim is None else dim, family.name)
    if dim not in (None, 1):
        raise ValueError(f"dim applies to multivariate families (mvgaussian, categorical); "
                         f"{family.name} is scalar, got dim={dim}")
    return 1


@dataclass(frozen=True)
class Derivation:
    """The result of :func:`derive`: symbolic expressions and their values.

    Prints as a text table; in a notebook shows a table of the values, the verdict, the
    required growth exponent :math:`p^*` and the formulas (HTML, or LaTeX where HTML is not
    shown); converts with :meth:`to_dict` (the JSON object of ``modelcollapse derive --json``).
    """

    family: str
    estimator: str
    workflow: str
    schedule: Schedule
    T: int | float
    bias: Bias | None
    values: dict[str, Any]
    expressions: dict[str, sp.Expr | str]
    notes: tuple[str, ...] = field(default=())
    step_laws: dict[str, str] = field(default_factory=dict)

    def latex(self) -> dict[str, str]:
        """Each named expression as LaTeX (:func:`modelcollapse.theory.latex.latex`)."""
        return {k: latex(v) for k, v in self.expressions.items()}

    def to_dict(self) -> dict[str, Any]:
        out = {"family": self.family, "estimator": self.estimator, "workflow": self.workflow,
               "schedule": _schedule_text(self.schedule), "n0": self.schedule.n0,
               "T": None if math.isinf(self.T) else self.T,
               "bias": None if self.bias is None or not self.bias.active else
               {"kappa": float(self.bias.kappa), "alpha": float(self.bias.alpha)}}
        out.update(jsonable(self.values))
        out["latex"] = self.latex()
        out["notes"] = list(self.notes)
        # an infinite value of finite parameters at a finite horizon or in a limit that exists
        # (divergent limits are None already) is a float overflow: JSON null, with the reason
        nulls = null_reasons(self.values, overflow=True)
        if nulls:
            out["nulls"] = nulls
        return out

    def __str__(self) -> str:
        horizon = "T = inf (limits)" if math.isinf(self.T) else f"T = {self.T}"
        lines = [f"{self.family} ({self.estimator}, {self.workflow}), schedule "
                 f"{_schedule_text(self.schedule)} with n0 = {self.schedule.n0}, {horizon}"]
        for key, val in self.values.items():
            lines.append(f"  {key:<26} {_fmt(val)}")
        for name, law in self.step_laws.items():
            lines.append(f"  step law of {name:<13} {law}")
        lines.append("  expressions:")
        for key, expr in self.expressions.items():
            if not isinstance(expr, str):  # step laws are LaTeX only; shown above as text
                lines.append(f"    {key:<24} {sp.sstr(expr)}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # what Jupyter shows (modelcollapse.theory.display)
        from modelcollapse.theory.display import to_html

        return to_html(self)

    def _repr_latex_(self) -> str:  # for LaTeX-only front ends and nbconvert
        from modelcollapse.theory.display import to_latex

        return to_latex(self)


def _schedule_text(schedule: Schedule) -> str:
    """The expression, or the explicit sizes as the command line takes them."""
    if schedule.text is not None:
        return schedule.text
    return ",".join(str(n) for n in schedule.sizes_given)


def _fmt(val: Any) -> str:
    if isinstance(val, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in val.items())
    if isinstance(val, float):
        return f"{val:.10g}"
    if isinstance(val, list):
        return "[" + ", ".join(_fmt(v) for v in val) + "]"
    return str(val)


def derive(
    family: str | Family,
    *,
    schedule: Schedule | str | sp.Expr | None = None,
    T: int | float = 100,
    estimator: str | None = None,
    workflow: str = "replace",
    params: Mapping[str, Any] | None = None,
    bias: Bias | None = None,
    dim: int | None = None,
    moment: float | None = None,
    real_ratio: float | None = None,
    real_weight: float | str | None = None,
) -> Derivation:
    r"""Symbolic and numeric results for ``family`` under ``schedule`` up to generation ``T``.

    Values (the ``derive`` JSON keys): ``mean_T`` and ``variance_T`` of :math:`\hat\theta_T`
    (a dict per parameter for multi-parameter families, lists per coordinate for vectors),
    ``log_mean_T`` and ``log_variance_T`` of :math:`\log(\hat\theta_T/\theta^*)` for a
    positive scale or rate (of :math:`\log\det(\hat\Sigma_T\Sigma^{-1})` for a covariance;
    None otherwise), ``collapse_probability_T`` (Bernoulli fixation, Poisson extinction),
    ``collapses`` and ``required_growth_exponent`` (:math:`p^*`, read off the family's moment
    map: :math:`\max(1, 1/\alpha)` for every built-in family); for a vector location
    parameter also ``squared_error_T`` :math:`= E\lVert\hat\theta_T - \theta^*\rVert^2`
    (linear regression: :math:`\sigma^2 d\sum_t 1/(n_t - d - 1)`). With ``moment=r``, also
    ``moment_T`` :math:`= E[\hat\theta_T^r]` for a positive parameter with a multiplicative
    law, any real :math:`r` (:func:`~modelcollapse.theory.moments.power_moment`; None, with the
    reason in the notes, where it does not exist).

    ``workflow="mix"`` mixes ``real_ratio`` :math:`= K` times as many fresh
    real points into every generation with weight ``real_weight`` :math:`= w \in (0, 1]` or
    ``"optimal"`` (default): the moments of the contracting map
    (:mod:`~modelcollapse.theory.mixing`), their stationary values at ``T = inf``, and
    ``optimal_real_weight``, the :math:`w^*` minimising the stationary mean squared error
    :math:`V + (M - \theta^*)^2` (the variance for an unbiased fit).

    Examples
    --------
    >>> d = derive("gaussian-variance", schedule=Schedule("n0*t", n0=10), T=1000)
    >>> round(d.values["log_mean_T"], 4), d.values["collapses"]
    (-0.8879, True)
    >>> d.expressions["mean_T"]
    sigma^2
    """
    fam = get_family(family)
    fam = fam.at_dimension(_dimension(fam, params or {}, dim))  # laws in d (least squares)
    est = fam.estimator(estimator)
    workflow = choice("workflow", workflow, WORKFLOWS)
    mix = _mix_arguments(workflow, real_ratio, real_weight)
    schedule = _as_schedule(schedule)
    if bias is not None and not isinstance(bias, Bias):
        raise TypeError(f"bias must be a Bias, got {type(bias).__name__}")
    bias = bias if bias is not None and bias.active else None
    if workflow == "accumulate" and bias is not None:
        raise NoClosedFormError(fam.name, "accumulate workflow", "bias is not supported there")
    route = accumulate_route(fam, est.name) if workflow == "accumulate" else None
    values = parameter_values(fam, params, dim=dim)
    d = _dimension(fam, params or {}, dim)
    infinite = _check_horizon(T)
    if moment is not None:  # E[theta^r] holds Gamma ratios and powers of order |r|
        moment = real("moment", moment)
        if abs(moment) > MAX_DEGREE:
            raise ValueError(f"moment must be a real number of magnitude at most {MAX_DEGREE} "
                             f"(the limit MAX_DEGREE), got {moment:g}")
    minimum = fam.min_size(est.name, d)

    expressions = dict(_symbolic(fam, est.name, workflow, bias is not None,
                                 sp.oo if infinite else symbols.T, d, route))
    expressions["schedule"] = sp.Eq(symbols.n_t[symbols.t], sp.ceiling(schedule.expression)
                                    if schedule.expression is not None else symbols.n_t[symbols.t],
                                    evaluate=False)
    if infinite and schedule.expression is not None:
        expressions["inverse_sum_limit"] = schedule.inverse_sum_symbolic()

    def at(sizes: np.ndarray) -> dict[str, Any]:
        if mix is not None:
            return _mix_numbers(fam, est.name, bias, values, sizes, *mix)
        return _numbers(fam, est.name, bias, workflow, values, sizes, d, notes)

    notes: list[str] = []
    if not est.exact:
        notes.append(f"{fam.name} has no exact one-step law ({est.description}): the moments "
                     "are exact for its moment map, asymptotic for the estimator it stands for")
    if mix is not None:
        mix = _mix_weight(fam, est.name, bias, values, schedule, minimum, mix, notes)
    if route is not None and route.startswith("no closed form"):
        # Monte Carlo only: simulate(workflow="accumulate") refits on the pooled data
        numbers = {k: None for k in ("mean_T", "variance_T", "log_mean_T", "log_variance_T",
                                     "collapse_probability_T")}
        notes.append(f"accumulate workflow: {route}")
    # a moment of a huge parameter (sigma2 = 1e300 squared) overflows to inf: the value says so
    # (to_dict's nulls), so numpy's RuntimeWarning would only be noise on stderr
    elif infinite:
        try:
            with np.errstate(over="ignore"):
                numbers = (_mix_stationary(fam, est.name, bias, values, schedule, minimum, mix)
                           if mix is not None else
                           limit_values(fam, est.name, bias, workflow, values, schedule,
                                        minimum, at, notes))
        except OverflowError:  # Python float arithmetic of the limits: beyond 1.8e308
            numbers = {k: None for k in ("mean_T", "variance_T", "log_mean_T",
                                         "log_variance_T", "collapse_probability_T")}
            notes.append("T = inf: the limits overflow the float range (magnitude above "
                         "1.8e308) for these parameter values")
    else:
        sizes = schedule.sizes(int(T), minimum=minimum, family=fam.name)
        with np.errstate(over="ignore"):
            numbers = at(sizes)
    if route == "pooled-normal":
        notes.append("accumulate workflow: exact means of the pooled sample mean and S^2 "
                     "(theory.pooled_normal); the variance of the pooled S^2 has no closed "
                     "form (None), the Monte Carlo engine runs it on the pooled data")
    if fam.vector and fam.parameters[0].kind == "location":
        numbers["squared_error_T"] = _squared_error(fam, values, numbers)
    if workflow == "mix":
        # a contraction: the moments converge to the stationary ones for every schedule
        numbers["collapses"], numbers["required_growth_exponent"] = False, 0.0
        numbers["optimal_real_weight"] = mix[2]
        numbers["real_weight"], numbers["real_ratio"] = mix[1], mix[0]
        if mix[3] is not None:
            expressions["optimal_real_weight"] = mix[3]
    elif workflow == "accumulate" and route.startswith("no closed form"):
        numbers["collapses"] = numbers["required_growth_exponent"] = None
        notes.append("collapse under accumulation undecided: no closed form")
    elif workflow == "accumulate":
        # pooled sample means: increments w_t (n_t/N_t)^2 <= v (1/N_(t-1) - 1/N_t) sum to at
        # most v/n_0 for every schedule, so no growth is needed; pooled least squares:
        # n_t/(N_t (N_t - d - 1)) <= 1/(N_(t-1) - d - 1) - 1/(N_t - d - 1) likewise
        numbers["collapses"], numbers["required_growth_exponent"] = False, 0.0
    else:
        found = criteria.drivers(fam, estimator=est.name, bias=bias, values=values)
        numbers["collapses"] = criteria.collapses(schedule, bias, family=fam,
                                                  estimator=est.name, values=values)
        exponent = criteria.required_growth_exponent(bias, family=fam, estimator=est.name,
                                                     values=values)
        numbers["required_growth_exponent"] = None if exponent is None else float(exponent)
        notes += [note for note in found.notes if note not in notes]
    if moment is not None:
        r = real("moment", moment)
        if infinite or workflow != "replace":
            numbers["moment_T"] = None
            notes.append("moment_T is computed at a finite T of the replace workflow")
        else:
            sizes = schedule.sizes(int(T), minimum=minimum, family=fam.name)
            with np.errstate(over="ignore"):
                found_moment = power_moment(fam, values, sizes, r, estimator=est.name, bias=bias)
            numbers["moment_T"] = found_moment.value
            if found_moment.reason:
                notes.append(found_moment.reason)
        parts = power_parts(fam, estimator=est.name, bias=Bias.symbolic if bias else None)
        if parts is not None:
            t, rr = symbols.t, sp.Rational(repr(r))
            step = parts[1].moment(rr).subs(symbols.n, symbols.n_t[t])
            horizon = sp.oo if infinite else symbols.T
            expressions["moment_T"] = parts[0] ** rr * sp.Product(step, (t, 0, horizon))
    if numbers["collapses"] is None and not any("undecided" in note for note in notes):
        notes.append("the schedule's growth could not be classified: collapse undecided")
    return Derivation(fam.name, est.name, workflow, schedule, T, bias, numbers, expressions,
                      tuple(notes), fam.step_law(est.name, bias))


def _squared_error(fam: Family, values: Mapping[str, np.ndarray],
                   numbers: Mapping[str, Any]) -> float | None:
    r""":math:`E\lVert\hat\theta_T - \theta^*\rVert^2 = \sum_i \mathrm{Var}\,\hat\theta_{T,i}
    + (E\hat\theta_{T,i} - \theta^*_i)^2` of a vector location parameter (the first one);
    None where a coordinate's moments are None."""
    name = fam.parameters[0].name

    def coordinates(key: str) -> Any:
        val = numbers.get(key)
        return val.get(name) if isinstance(val, dict) else val

    means, variances = coordinates("mean_T"), coordinates("variance_T")
    if not isinstance(means, list) or not isinstance(variances, list) \
            or any(v is None for v in (*means, *variances)):
        return None
    truth = np.atleast_1d(values[name])
    return float(sum(v + (m - x) ** 2 for m, v, x in zip(means, variances, truth, strict=True)))


def _as_schedule(schedule: Schedule | str | sp.Expr | None) -> Schedule:
    if schedule is None:
        return Schedule("n0")
    if isinstance(schedule, str | sp.Expr):  # text or SymPy, through the same guards
        return Schedule(schedule)
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a Schedule or an expression, got {schedule!r}")
    return schedule


def _check_horizon(T: int | float) -> bool:
    """True for ``T = inf`` (the limits), False for an integer ``T >= 0``. A float is an
    allowed kind (for inf), so any other float is a bad value: ``ValueError``."""
    allowed = "an integer >= 0 or inf"
    if isinstance(T, float | np.floating):
        if T == math.inf:
            return True
        raise ValueError(f"T must be {allowed}, got {T!r}")
    integer("T", T, low=0, allowed=allowed)
    return False


def _numbers(fam: Family, estimator: str, bias: Bias | None, workflow: str,
             values: Mapping[str, np.ndarray], sizes: np.ndarray, dim: int,
             notes: list[str] | None = None) -> dict[str, Any]:
    if workflow == "accumulate" and pooled_normal.applies(fam, estimator):
        moments = pooled_normal.pooled_normal_moments(fam, values, sizes, estimator=estimator)
    elif workflow == "accumulate" and not fam.estimator(estimator).pools_as_mean:
        moments = pooled_law_moments(fam, values, sizes, estimator=estimator)
    else:
        moments = parameter_moments(fam, values, sizes, estimator=estimator, bias=bias,
                                    workflow=workflow)
    names = [p.name for p in fam.parameters]

    def pick(get):
        per = {name: get(moments[name]) for name in names}
        per = {k: (v.tolist() if fam.vector else float(v[0])) for k, v in per.items()}
        per = {k: None if isinstance(v, float) and math.isnan(v) else v  # no closed form
               for k, v in per.items()}
        return per[names[0]] if len(names) == 1 else per

    out: dict[str, Any] = {
        "mean_T": pick(lambda m: m.means[:, -1]),
        "variance_T": pick(lambda m: m.variance),
    }
    logs = None if workflow == "accumulate" else log_moments(
        fam, sizes, estimator=estimator, bias=bias, dim=dim)
    out["log_mean_T"], out["log_variance_T"] = logs if logs is not None else (None, None)
    out["collapse_probability_T"] = _absorption(fam, estimator, workflow, values, sizes, bias,
                                                notes)
    return out


def _mix_arguments(workflow: str, real_ratio: Any, real_weight: Any) -> tuple | None:
    """``(K, w or "optimal")`` for the mix workflow (checked), None otherwise."""
    if workflow != "mix":
        if real_ratio is not None or real_weight is not None:
            raise ValueError(f"real_ratio and real_weight apply to workflow 'mix', "
                             f"not {workflow!r}")
        return None
    ratio = real("real_ratio", 1.0 if real_ratio is None else real_ratio, low=0, low_open=True)
    if real_weight is None or (isinstance(real_weight, str) and real_weight == "optimal"):
        return ratio, "optimal"
    if isinstance(real_weight, str):
        raise ValueError(f"real_weight must be a number in (0, 1] or 'optimal', "
                         f"got {real_weight!r}")
    return ratio, real("real_weight", real_weight, low=0, high=1, low_open=True)


def _coefficient_limit(schedule: Schedule, minimum: int, fam: Family, *, scaled: bool = False):
    """:func:`coefficient_limit` for this family's smallest size."""
    return coefficient_limit(schedule, minimum=minimum, family=fam.name, scaled=scaled)


def _mix_weight(fam: Family, estimator: str, bias: Bias | None, values, schedule: Schedule,
                minimum: int, mix: tuple, notes: list[str]) -> tuple:
    """``(K, w, w*, exact w*)``: the weight used (``w*`` for "optimal") and the optimal one
    (None, with the reason in the notes, where the stationary variance has no closed form)."""
    ratio, weight = mix
    try:
        best, exact = mixing.optimal_real_weight(
            fam, values, real_ratio=ratio, estimator=estimator, bias=bias,
            at_limit=_coefficient_limit(schedule, minimum, fam, scaled=True))
    except (NoClosedFormError, NotImplementedError, ValueError, TypeError) as exc:
        if weight == "optimal":
            raise NoClosedFormError(fam.name, "optimal_real_weight", str(exc)) from exc
        notes.append(f"optimal_real_weight: {exc}")
        best = exact = None
    return ratio, best if weight == "optimal" else weight, best, exact


def _mix_numbers(fam: Family, estimator: str, bias: Bias | None, values, sizes: np.ndarray,
                 ratio: float, weight: float, best: float | None = None,
                 exact: sp.Expr | None = None) -> dict[str, Any]:
    moments = mixing.mix_moments(fam, values, sizes, real_ratio=ratio, real_weight=weight,
                                 estimator=estimator, bias=bias)
    names = [p.name for p in fam.parameters]

    def pick(get):
        per = {name: get(moments[name]) for name in names}
        per = {k: (v.tolist() if fam.vector else float(v[0])) for k, v in per.items()}
        return per[names[0]] if len(names) == 1 else per

    return {"mean_T": pick(lambda m: m.means[:, -1]), "variance_T": pick(lambda m: m.variance),
            "log_mean_T": None, "log_variance_T": None, "collapse_probability_T": None}


def _mix_stationary(fam: Family, estimator: str, bias: Bias | None, values, schedule: Schedule,
                    minimum: int, mix: tuple) -> dict[str, Any]:
    found = mixing.stationary(fam, values, real_ratio=mix[0], real_weight=mix[1],
                              estimator=estimator, bias=bias,
                              at_limit=_coefficient_limit(schedule, minimum, fam))
    names = [p.name for p in fam.parameters]

    def pick(i):
        per = {k: (v[i] if fam.vector else v[i][0]) for k, v in found.items()}
        return per[names[0]] if len(names) == 1 else {k: per[k] for k in names}

    return {"mean_T": pick(0), "variance_T": pick(1), "log_mean_T": None,
            "log_variance_T": None, "collapse_probability_T": None}


def _absorption(fam: Family, estimator: str, workflow: str, values, sizes, bias,
                notes: list[str] | None = None) -> float | None:
    """Probability of having hit the absorbing degenerate state by T, from the law of the
    first parameter (:func:`absorption.absorption_probability`); None where none exists, or
    None with the reason added to ``notes`` where the exact chain cannot be computed."""
    if workflow != "replace" or bias is not None:
        return None
    p = fam.parameters[0]
    law = fam.law(p.name, estimator)
    try:
        return absorption.absorption_probability(law, values[p.name], sizes)
    except ChainTooLargeError as exc:
        monte_carlo = "each cell's fixation" if fam.vector else "fixation"
        reason = (f"the exact Wright-Fisher chain is too large for n_t up to "
                  f"{max(int(n) for n in sizes)} (its work sum (n_(t-1)+1)(n_t+1) exceeds "
                  f"{exc.max_work:.3g}); modelcollapse simulate estimates {monte_carlo} by "
                  f"Monte Carlo (collapsed_fraction)")
        _note(notes, f"collapse_probability_T: {reason}")
        return None
    except ValueError as exc:
        _note(notes, f"collapse_probability_T: {' '.join(str(exc).split())}")
        return None


def _note(notes: list[str] | None, note: str) -> None:
    if notes is not None and note not in notes:
        notes.append(note)


_SYMBOLIC_CACHE: dict[tuple, tuple[Family, tuple[tuple[str, sp.Expr | str], ...]]] = {}


def _symbolic(fam: Family, estimator: str, workflow: str, biased: bool, horizon: sp.Expr,
              dim: int, route: str | None = None) -> tuple[tuple[str, sp.Expr | str], ...]:
    """Named SymPy results, cached per family object (the symbolic work does not depend on
    numbers; families are not hashable, so the key is the object's id, checked on reuse)."""
    key = (id(fam), estimator, workflow, biased, horizon, dim)
    hit = _SYMBOLIC_CACHE.get(key)
    if hit is not None and hit[0] is fam:
        return hit[1]
    if route is not None and route.startswith("no closed form"):
        return (("inverse_sum_T", sp.Sum(1 / symbols.n_t[symbols.t], (symbols.t, 1, horizon))),)
    result = _derive_symbolic(fam, estimator, workflow, biased, horizon, dim)
    _SYMBOLIC_CACHE[key] = (fam, result)
    return result


def _derive_symbolic(fam: Family, estimator: str, workflow: str, biased: bool,
                     horizon: sp.Expr, dim: int) -> tuple[tuple[str, sp.Expr | str], ...]:
    est = fam.estimator(estimator)
    bias = Bias.symbolic if biased else None
    t = symbols.t
    out: dict[str, sp.Expr] = {}
    multi = len(fam.parameters) > 1
    means: dict[sp.Symbol, sp.Expr] = {}
    for name in solve_order(fam, estimator):
        p = fam.parameter(name)
        suffix = f"_{name}" if multi else ""
        rec = recursion_for(fam, name, estimator, bias)
        if workflow == "accumulate" and pooled_normal.applies(fam, estimator):
            mean_T, var_T = pooled_normal.symbolic(fam, estimator, name, horizon)
        elif workflow == "accumulate" and not est.pools_as_mean:  # a pooled step law
            mean_T = p.symbol
            var_T = pooled_law_variance_symbolic(est.laws[name], horizon)
        elif workflow == "accumulate":
            mean_T, var_T = p.symbol, _accumulate_variance(rec, horizon)
            found = variance_function(rec) if not bias else "biased"
            if not isinstance(found, str):  # V(mu) = v0 + v1 mu + v2 mu^2
                v0, v1, v2 = found
                out[f"variance_function{suffix}"] = sp.expand(
                    v0 + v1 * p.symbol + v2 * p.symbol**2)
        elif workflow == "mix":
            estimated = frozenset(q.symbol for q in fam.parameters)
            if horizon == sp.oo:
                mixed = mixing.mixed_recursion(rec, mixing.star(p.symbol), mixing.K, mixing.W,
                                               estimated=estimated)
                mean_T = sp.factor(sp.cancel(mixed.b / (1 - mixed.a)))
                var_T = mixing.stationary_variance(rec, estimated=estimated)
            else:
                mixed = mixing.mixed_recursion(rec, mixing.star(p.symbol), mixing.K, mixing.W,
                                               estimated=estimated)
                mean_T, var_T = solve_symbolic(mixed, mixing.star(p.symbol), horizon=horizon)
        else:
            mean_T, var_T = solve_symbolic(rec, p.symbol, given=means, horizon=horizon)
            if rec.b == 0:
                means[p.symbol] = p.symbol * sp.Product(
                    rec.a.subs(symbols.n, symbols.n_t[symbols.u]), (symbols.u, 0, t - 1)
                ) if rec.a != 1 else p.symbol
        out.update({f"{key}{suffix}": expr for key, expr in (("mean_T", mean_T),
                                                               ("variance_T", var_T))
                    if expr is not None})
        out[f"step_law{suffix}"] = fam.law(name, estimator, bias).latex()  # bias included
    log_terms = _log_terms(fam, est, bias, dim)
    if log_terms is not None and workflow == "replace":
        drift, spread = log_terms
        out["log_mean_T"] = sp.Sum(drift.subs(symbols.n, symbols.n_t[t]), (t, 0, horizon))
        out["log_variance_T"] = sp.Sum(spread.subs(symbols.n, symbols.n_t[t]), (t, 0, horizon))
    out["inverse_sum_T"] = sp.Sum(1 / symbols.n_t[t], (t, 1, horizon))
    if workflow == "mix":  # a contraction: no schedule collapses
        out["collapse_condition"] = sp.false
        out["required_growth_exponent"] = sp.Integer(0)
        return tuple(out.items())
    out["collapse_condition"] = _collapses_iff(criteria.collapse_condition(
        bias, family=fam, estimator=estimator))
    exponent = criteria.required_growth_exponent(bias, family=fam, estimator=estimator)
    if exponent is not None:
        out["required_growth_exponent"] = sp.nsimplify(exponent) \
            if isinstance(exponent, float) else exponent
    return tuple(out.items())


def _collapses_iff(no_collapse: sp.Basic) -> sp.Basic:
    r"""The collapse condition, the negation of :func:`criteria.collapse_condition`'s
    no-collapse one: some sum diverges, e.g. :math:`\sum_{t=1}^{\infty} n_t^{-1} = \infty`."""
    if no_collapse in (sp.true, sp.false):
        return sp.Not(no_collapse)
    conds = no_collapse.args if isinstance(no_collapse, sp.And) else (no_collapse,)
    diverge = [sp.Eq(c.lhs, sp.oo, evaluate=False) for c in conds]
    return sp.Or(*diverge, evaluate=False) if len(diverge) > 1 else diverge[0]


def _accumulate_variance(rec: MomentRecursion, horizon: sp.Expr) -> sp.Expr:
    r""":math:`\sum_t \omega_t^2 w_t \prod_{u>t}(1 + \omega_u^2\alpha_u)`,
    :math:`\omega_t = n_t/N_t` (a sample mean: :math:`a = 1, b = 0`)."""
    t, u = symbols.t, symbols.u
    r = sp.Symbol("r", integer=True, nonnegative=True)

    def omega(i):
        return symbols.n_t[i] / sp.Sum(symbols.n_t[r], (r, 0, i))

    w = (rec.alpha * rec.theta**2 + rec.beta * rec.theta + rec.gamma).subs(
        symbols.n, symbols.n_t[t])
    if rec.alpha == 0:
        return sp.Sum(omega(t) ** 2 * w, (t, 0, horizon))
    grow = sp.Product(1 + omega(u) ** 2 * rec.alpha.subs(symbols.n, symbols.n_t[u]),
                      (u, t + 1, horizon))
    return sp.Sum(omega(t) ** 2 * w * grow, (t, 0, horizon))


def _log_terms(fam: Family, est, bias: Bias | None, dim: int):
    parts = log_parts(fam, estimator=est.name, bias=bias, dim=dim)
    return None if parts is None else (parts.mean(), parts.variance())
