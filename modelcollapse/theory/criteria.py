r"""When does the walk collapse, and how fast must the sample size grow? Read off the family.

One rule for every family, built-in or declared by a user, computed from its moment map
:math:`m(\theta, n) = E[\hat\theta\mid\theta]`, :math:`v(\theta, n) = \mathrm{Var}[\hat\theta\mid
\theta]` at the true value :math:`\theta^*`. For a positive parameter write
:math:`m/\theta = 1 - b(n)` and :math:`v/\theta^2 = w(n)`: the log-walk has drift
:math:`\approx -\sum_t [b(n_t) + w(n_t)/2]` and variance :math:`\approx \sum_t w(n_t)`. For a
location or a probability, :math:`b(n) = m - \theta` and :math:`w(n) = v` are the mean and the
variance of the increments. With the leading terms :math:`b(n) \sim \kappa n^{-\alpha}` and
:math:`w(n) \sim c\,n^{-\beta}` as :math:`n \to \infty` (found by SymPy), the walk has a
non-degenerate limit with finite mean-squared error iff

.. math::

    \sum_t n_t^{-\alpha} < \infty \quad\text{and}\quad \sum_t n_t^{-\beta} < \infty ,

so for :math:`n_t \asymp t^p` the required growth exponent is
:math:`p^* = \max(1/\alpha, 1/\beta)`. A bias :math:`c(n) = 1 - \kappa n^{-\alpha}` adds
:math:`\alpha` to the exponents (every built-in family has :math:`\beta = 1`, hence
:math:`p^* = \max(1, 1/\alpha)`). A contracting map (:math:`\partial m/\partial\theta \to a`,
:math:`|a| < 1`, as when fresh real data are mixed in) does not collapse for any schedule:
:math:`p^* = 0`. The exponents come from an expansion as :math:`n \to \infty`, so the verdict
is asymptotic in that sense; where SymPy finds no leading term it is "undecided" (None).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.families.base import Bias, Family, Parameter
from modelcollapse.guards import too_large
from modelcollapse.schedules import Schedule

__all__ = ["Drivers", "drivers", "leading_term", "collapses", "required_growth_exponent",
           "collapse_condition"]

_X = sp.Symbol("x", positive=True)  # 1/n
#: relative change of an exponent used to see whether a log factor can change a verdict
_NUDGE = sp.Rational(1, 1000)


@dataclass(frozen=True)
class Term:
    r"""Leading behaviour :math:`C\,n^{-k}(\log n)^{j}` of an expression as :math:`n\to\infty`."""

    coefficient: sp.Expr
    order: sp.Expr
    log_power: sp.Expr = sp.Integer(0)


def leading_term(expr: sp.Expr) -> Term | None:
    r"""The leading term of ``expr`` in :math:`n` as :math:`n \to \infty`; None where SymPy
    finds none, and a zero coefficient for an expression that vanishes identically.

    >>> leading_term(2 / (symbols.n - 1))
    Term(coefficient=2, order=1, log_power=0)
    >>> leading_term(sp.log(symbols.n) / symbols.n**2).log_power
    1
    """
    expr = sp.sympify(expr)  # safe: a SymPy expression
    if too_large(expr, [symbols.n]):  # the series expansion may never finish: undecided
        return None
    expr = sp.cancel(expr)
    if expr == 0:
        return Term(sp.Integer(0), sp.oo)
    try:
        lead = expr.subs(symbols.n, 1 / _X).as_leading_term(_X)
    except (sp.PoleError, NotImplementedError, ValueError, TypeError):
        return None
    coefficient, order, log_power = sp.Integer(1), sp.Integer(0), sp.Integer(0)
    for factor in sp.Mul.make_args(lead):
        base, exponent = factor.as_base_exp()
        if base == _X:
            order += exponent
        elif base == sp.log(_X):
            log_power += exponent
            coefficient *= (-1) ** exponent  # log x = -log n
        elif factor.has(_X):
            return None
        else:
            coefficient *= factor
    if not (order.is_number and log_power.is_number):
        return None
    return Term(coefficient, order, log_power)


@dataclass(frozen=True)
class Drivers:
    r"""What decides collapse for a family: the exponents :math:`a` whose series
    :math:`\sum_t n_t^{-a}` must converge, with their log powers (``terms``), whether every
    parameter's map contracts (then no growth is needed), and notes on how it was found."""

    terms: tuple[Term, ...]
    contracting: bool = False
    undecided: bool = False
    notes: tuple[str, ...] = ()

    @property
    def exponents(self) -> list[sp.Expr]:
        """Distinct exponents, smallest first."""
        return sorted({t.order for t in self.terms},
                      key=lambda a: (not a.is_number, float(a) if a.is_number else 0.0, str(a)))


def _at_truth(family: Family, values: Mapping[str, Any] | None) -> dict[sp.Symbol, sp.Expr]:
    """Exact values of every parameter and constant symbol at the truth (first coordinate)."""
    out = {}
    for p in (*family.parameters, *family.constants):
        raw = (values or {}).get(p.name, p.default)
        first = float(np.atleast_1d(np.asarray(raw, dtype=float))[0])
        out[p.symbol] = sp.Rational(repr(first)) if first == first else sp.nan
    return out


def _positive(p: Parameter) -> bool:
    return p.kind in ("scale", "rate", "covariance") or p.domain in ("positive", "spd")


def _parameter_terms(family: Family, p: Parameter, estimator: str | None,
                     truth: Mapping[sp.Symbol, sp.Expr]) -> tuple[list[Term], bool, bool]:
    """Leading terms of b(n) and w(n) of one parameter; (terms, contracting, undecided)."""
    mm = family.moment_map(p.name, estimator)
    theta, star = mm.theta, truth[p.symbol]
    others = {s: v for s, v in truth.items() if s != p.symbol}
    mean, variance = mm.mean.subs(others), mm.variance.subs(others)
    slope = sp.diff(mean, theta).subs(theta, star)
    try:  # (a limit of a huge expression may never finish: then no verdict from the slope)
        limit_slope = None if too_large(slope, [symbols.n]) else sp.limit(slope, symbols.n,
                                                                         sp.oo)
    except (NotImplementedError, ValueError, TypeError):
        limit_slope = None
    if limit_slope is not None and limit_slope.is_number and abs(float(limit_slope)) < 1:
        return [], True, False
    mean, variance = mean.subs(theta, star), variance.subs(theta, star)
    if _positive(p):
        b, w = 1 - mean / star, variance / star**2
    else:
        b, w = mean - star, variance
    terms = [leading_term(b), leading_term(w)]
    if any(t is None for t in terms):
        return [], False, True
    return [t for t in terms if t.coefficient != 0], False, False


_DRIVERS: dict[tuple, tuple[Family, Drivers]] = {}


def drivers(family: Family | None = None, *, estimator: str | None = None,
            bias: Bias | None = None, values: Mapping[str, Any] | None = None) -> Drivers:
    r"""The series that decide collapse, read off the family's moment map (module docstring).

    ``family=None`` stands for a family whose estimator is unbiased with noise of order
    :math:`1/n` (every built-in family). The bias's exponent :math:`\alpha` joins the drivers
    as a number or, for :data:`Bias.symbolic`, as a symbol.

    >>> from modelcollapse.families import from_moment_map
    >>> fam = from_moment_map("uniform-max", parameter="theta", mean="theta",
    ...                       variance="theta**2/(n*(n + 2))", domain="positive", kind="scale")
    >>> drivers(fam).exponents
    [2]
    """
    if family is None:
        terms = [Term(sp.Integer(1), sp.Integer(1))]
        result = Drivers(tuple(terms))
    else:
        est = family.estimator(estimator)
        truth = _at_truth(family, values)
        key = (id(family), est.name, tuple(sorted((str(k), v) for k, v in truth.items())))
        hit = _DRIVERS.get(key)
        if hit is not None and hit[0] is family:
            result = hit[1]
        else:
            result = _family_drivers(family, est.name, truth)
            _DRIVERS[key] = (family, result)
    if bias is not None and bias.active and not result.contracting:
        alpha = bias.alpha
        alpha = sp.Rational(repr(float(alpha))) if isinstance(alpha, float) else \
            sp.sympify(alpha)  # safe: a number or a SymPy symbol
        result = Drivers((*result.terms, Term(sp.sympify(bias.kappa), alpha)),  # safe: same
                         result.contracting, result.undecided, result.notes)
    return result


def _family_drivers(family: Family, estimator: str,
                    truth: Mapping[sp.Symbol, sp.Expr]) -> Drivers:
    terms: list[Term] = []
    contracting, undecided, notes = [], False, []
    for p in family.parameters:
        found, contracts, unknown = _parameter_terms(family, p, estimator, truth)
        terms += found
        contracting.append(contracts)
        if unknown:
            undecided = True
            notes.append(f"no leading term of the moment map of {p.name} as n -> oo: "
                         "collapse undecided")
    if all(contracting):
        return Drivers((), True, False, ("the moment map contracts: the moments converge "
                                         "for every schedule",))
    if not undecided and not family.estimator(estimator).exact:
        notes.append("collapse verdict from the leading terms of the moment map as n -> oo")
    return Drivers(tuple(terms), False, undecided, tuple(notes))


def _verdict(schedule: Schedule, term: Term) -> str:
    order = term.order
    if order.is_number and order <= 0:
        return "diverges"  # the drift or the noise does not shrink: no schedule stops it
    if term.log_power == 0:
        return schedule.converges(order)
    low, high = (schedule.converges(order * (1 + d)) for d in (-_NUDGE, _NUDGE))
    return low if low == high else "undecided"


def collapses(schedule: Schedule, bias: Bias | None = None, *, family: Family | None = None,
              estimator: str | None = None, values: Mapping[str, Any] | None = None
              ) -> bool | None:
    """True if the walk collapses under ``schedule``, False if not, None if undecided.

    >>> collapses(Schedule("n0*t**1.5", n0=10))
    False
    >>> collapses(Schedule("n0*t**1.5", n0=10), Bias(1, 0.5))
    True
    """
    found = drivers(family, estimator=estimator, bias=bias, values=values)
    if found.contracting:
        return False
    if found.undecided:
        return None
    decisions = [_verdict(schedule, t) for t in found.terms]
    if "diverges" in decisions:
        return True
    if all(d == "converges" for d in decisions):
        return False
    return None


def required_growth_exponent(bias: Bias | None = None, *, family: Family | None = None,
                             estimator: str | None = None,
                             values: Mapping[str, Any] | None = None) -> float | sp.Expr | None:
    r""":math:`p^* = \max_a 1/a` over the drivers: :math:`n_t \asymp t^p` avoids collapse iff
    :math:`p > p^*`; 0 for a contracting map, ``inf`` where a driver does not shrink, None
    where undecided.

    >>> required_growth_exponent(Bias(1, 0.25))
    4.0
    >>> required_growth_exponent()
    1.0
    """
    found = drivers(family, estimator=estimator, bias=bias, values=values)
    if found.contracting:
        return 0.0
    if found.undecided:
        return None
    exponents = found.exponents
    if not exponents:
        return 0.0
    if any(not a.is_number for a in exponents):
        return sp.Max(*(1 / a for a in exponents))
    if min(float(a) for a in exponents) <= 0:
        return float("inf")
    return max(1.0 / float(a) for a in exponents)


def collapse_condition(bias: Bias | None = None, *, family: Family | None = None,
                       estimator: str | None = None,
                       values: Mapping[str, Any] | None = None) -> sp.Expr:
    r"""The no-collapse condition as a SymPy boolean, e.g.
    :math:`\sum_{t=1}^{\infty} n_t^{-1} < \infty`."""
    found = drivers(family, estimator=estimator, bias=bias, values=values)
    if found.contracting:
        return sp.true
    t = symbols.t
    conds = [sp.StrictLessThan(sp.Sum(symbols.n_t[t] ** (-a), (t, 1, sp.oo)), sp.oo,
                               evaluate=False) for a in found.exponents]
    if not conds:
        return sp.true
    return sp.And(*conds, evaluate=False) if len(conds) > 1 else conds[0]
