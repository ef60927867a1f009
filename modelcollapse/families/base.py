r"""Declarations: a family is parameters as data plus, per estimator, one step law per parameter.

A family module builds one :class:`Family` and registers it; the engines interpret it.
The moment map of a parameter is read off its law:
:math:`m(\theta, n) = E[\hat\theta\mid\theta]`,
:math:`v(\theta, n) = \mathrm{Var}[\hat\theta\mid\theta]`.

Estimator bias of order :math:`n^{-\alpha}` is applied here, once, for every family and every
engine (:meth:`Family.law`): positive parameters (``scale``, ``rate``, ``covariance``) get the
factor :math:`c(n) = 1 - \kappa n^{-\alpha}` on the whole law (:meth:`Law.scaled`; a count rate
is thinned), location parameters the shift :math:`+\kappa n^{-\alpha}` (:meth:`Law.shifted`).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from typing import Literal

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.families.data import DataModel, Statistic
from modelcollapse.families.laws import Law, Wishart

__all__ = ["Parameter", "Estimator", "Family", "Bias", "MomentMap"]

Kind = Literal["location", "scale", "rate", "probability", "covariance"]
Domain = Literal["real", "positive", "unit_interval", "simplex", "spd"]


@dataclass(frozen=True)
class Parameter:
    """One parameter: name, symbol (``"sigma^2"`` prints as :math:`\\sigma^{2}`), domain,
    default value and kind.

    ``kind`` tells how bias enters (additively for ``location``, as a factor for ``scale`` and
    ``rate``) and what collapse means (a scale that shrinks to 0, a probability that fixes).
    """

    name: str
    symbol_name: str
    domain: Domain
    default: float | tuple[float, ...]
    kind: Kind
    description: str = ""

    @cached_property
    def symbol(self) -> sp.Symbol:
        """The SymPy symbol, with the assumptions of its domain and the LaTeX name."""
        assumptions = {"real": {"real": True}, "unit_interval": {"positive": True}}
        return sp.Symbol(self.symbol_name, **assumptions.get(self.domain, {"positive": True}))

    @property
    def latex(self) -> str:
        return sp.latex(self.symbol)

    @property
    def allowed(self) -> str:
        """What one value of the parameter may be, for messages."""
        return {"real": "a finite real number", "positive": "a finite number > 0",
                "unit_interval": "a number in [0, 1]", "simplex": "a probability in [0, 1]",
                "spd": "a finite number > 0"}[self.domain]

    def check(self, value: float, family: str) -> float:
        """Validate one numeric value against the domain: ``TypeError`` for a value that is not
        a real number (a string, None, a bool, a list), ``ValueError`` for one outside the
        domain; both name the parameter and what is allowed.

        >>> Parameter("p", "p", "unit_interval", 0.5, "probability").check("abc", "bernoulli")
        Traceback (most recent call last):
        TypeError: parameter p of bernoulli must be a number in [0, 1], got 'abc'
        """
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            # numbers.Real: Python and numpy ints and floats, fractions; not strings or bools
            raise TypeError(f"parameter {self.name} of {family} must be {self.allowed}, "
                            f"got {value!r}")
        value = float(value)
        ok = {
            "real": value == value and abs(value) != float("inf"),
            "positive": 0 < value < float("inf"),
            "unit_interval": 0 <= value <= 1,
        }.get(self.domain, True)
        if not ok:
            raise ValueError(f"parameter {self.name} of {family} must be {self.allowed}, "
                             f"got {value}")
        return value


def _exact(value: float | sp.Expr) -> sp.Expr:
    """A float as a small exact fraction when it is one (0.5 -> 1/2, 0.58333... -> 7/12),
    else as a Float: a fraction with a 16-digit denominator as an exponent would make SymPy
    build polynomials of that degree."""
    if isinstance(value, float):
        frac = Fraction(repr(value)).limit_denominator(10_000)
        if abs(float(frac) - value) <= 1e-12 * max(1.0, abs(value)):
            return sp.Rational(frac.numerator, frac.denominator)
        return sp.Float(value)
    return sp.sympify(value)  # safe: a number or a SymPy expression, never user text


@dataclass(frozen=True)
class Bias:
    r"""Estimator bias of order :math:`n^{-\alpha}`: :math:`c(n) = 1 - \kappa n^{-\alpha}`.

    ``kappa`` and ``alpha`` may be numbers or SymPy symbols (the default symbolic bias
    :data:`Bias.symbolic`).

    >>> Bias(1, 1).factor()
    1 - 1/n
    """

    kappa: float | sp.Expr = 0
    alpha: float | sp.Expr = 1

    def __post_init__(self) -> None:
        for name, value, low in (("kappa", self.kappa, "0"), ("alpha", self.alpha, "0")):
            if isinstance(value, sp.Expr) and not value.is_number:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float | sp.Number):
                raise TypeError(f"bias {name} must be a number, got {value!r}")
            v = float(value)
            if not (v == v and abs(v) != float("inf")) or v < 0 or (name == "alpha" and v == 0):
                rel = ">= 0" if name == "kappa" else "> 0"
                raise ValueError(f"bias {name} must be a finite number {rel} ({low}), got {value}")

    @property
    def active(self) -> bool:
        return not (self.kappa == 0)

    def amount(self) -> sp.Expr:
        r""":math:`\kappa n^{-\alpha}` (floats become exact rationals, so 1.0 prints as 1)."""
        return _exact(self.kappa) * symbols.n ** (-_exact(self.alpha))

    def factor(self) -> sp.Expr:
        r""":math:`c(n) = 1 - \kappa n^{-\alpha}`."""
        return 1 - self.amount()

    def check_factor(self, n: int) -> None:
        """Refuse a sample size where :math:`c(n) \\le 0` (the biased law would not exist)."""
        factor = 1.0 - float(self.kappa) * float(n) ** (-float(self.alpha))
        if factor <= 0:
            raise ValueError(f"the bias factor 1 - kappa n^-alpha = {factor:.4g} is not positive "
                             f"at n_t={n}; allowed: kappa < n_t^alpha for every generation")


Bias.symbolic = Bias(symbols.kappa, symbols.alpha)  # type: ignore[attr-defined]


def _first_size(ok, start: int) -> int:
    """The smallest size m >= start with ``ok(m)`` for a monotone ``ok`` (doubling, then
    bisection: a few evaluations where a step-by-step search took one per dimension).

    >>> _first_size(lambda m: m - 1 >= 1000, 2)
    1001
    """
    if ok(start):
        return start
    low, high = start, 2 * start
    while not ok(high):
        low, high = high, 2 * high
    while high - low > 1:  # ok(high) and not ok(low)
        mid = (low + high) // 2
        low, high = (low, mid) if ok(mid) else (mid, high)
    return high


def _tidy(expr: sp.Expr) -> sp.Expr:
    """The most compact of the factored, expanded and simplified forms (for readable LaTeX)."""
    return min((sp.factor(expr), sp.expand(expr), sp.cancel(expr)), key=sp.count_ops)


@dataclass(frozen=True)
class MomentMap:
    r"""Moment map of one parameter: :math:`m(\theta, n)` and :math:`v(\theta, n)`.

    When :math:`m = a(n)\theta + b(n)` and :math:`v = \alpha(n)\theta^2 + \beta(n)\theta +
    \gamma(n)` (``gamma`` may be linear in other parameters), the first two moments of
    :math:`\hat\theta_T` follow exact linear recursions: :attr:`closes` is then True and
    :attr:`coefficients` holds ``a, b, alpha, beta, gamma``.
    """

    theta: sp.Symbol
    mean: sp.Expr
    variance: sp.Expr
    law: Law | None = None
    coefficients: Mapping[str, sp.Expr] = field(default_factory=dict)

    @classmethod
    def build(cls, theta: sp.Symbol, mean: sp.Expr, variance: sp.Expr,
              law: Law | None = None) -> MomentMap:
        coefficients: dict[str, sp.Expr] = {}
        try:
            pm, pv = sp.Poly(sp.expand(mean), theta), sp.Poly(sp.expand(variance), theta)
        except sp.PolynomialError:  # not polynomial in theta: no exact closure
            pm = pv = None
        if pm is not None and pm.degree() <= 1 and pv.degree() <= 2:
            a, b = ([sp.Integer(0)] * 2 + pm.all_coeffs())[-2:]
            al, be, ga = ([sp.Integer(0)] * 3 + pv.all_coeffs())[-3:]
            coefficients = {name: _tidy(c) for name, c in
                            zip(("a", "b", "alpha", "beta", "gamma"), (a, b, al, be, ga),
                                strict=True)}
        return cls(theta, _tidy(mean), _tidy(variance), law, coefficients)

    @property
    def closes(self) -> bool:
        return bool(self.coefficients)


#: moment maps by (id(family), parameter, estimator, bias); the family is kept beside its map
#: so that a reused id is detected (families are not hashable)
_MOMENT_MAPS: dict[tuple, tuple[Family, MomentMap]] = {}
#: biased laws, keyed the same way
_BIASED_LAWS: dict[tuple, tuple[Family, Law]] = {}
#: families at a dimension (:meth:`Family.at_dimension`), by (id(family), dim)
_AT_DIMENSION: dict[tuple, tuple[Family, Family]] = {}


@dataclass(frozen=True)
class Estimator:
    """An estimator of a family: one exact step law per parameter, as data.

    ``min_size`` is the smallest admissible :math:`n_t` (2 for a variance: ``n - 1`` degrees
    of freedom; 3 for the exponential rate's second moment). ``pools_as_mean`` marks sample
    means, whose accumulate-workflow estimate is the size-weighted mean of the generations.
    """

    name: str
    description: str
    laws: Mapping[str, Law]
    min_size: int = 1
    pools_as_mean: bool = False
    #: per parameter, the statistic the brute-force engine computes from the drawn data
    #: (:mod:`modelcollapse.families.data`); None where the family has no data model
    statistics: Mapping[str, Statistic] | None = None
    #: the laws are the estimator's exact one-step laws; False when they are only the normal
    #: approximation carrying a moment map (user families declared without a ``law``)
    exact: bool = True


@dataclass(frozen=True)
class Family:
    """A model family: parameters, estimators and what collapse means for it.

    ``absorbing`` names the degenerate absorbing state where one exists (``"fixation"`` for a
    probability, ``"extinction"`` for a count rate); ``dimension`` is None for scalar families
    and the size of the vector parameter otherwise.
    """

    name: str
    title: str
    parameters: tuple[Parameter, ...]
    estimators: Mapping[str, Estimator]
    default_estimator: str
    collapse: str
    absorbing: str | None = None
    vector: bool = False
    #: known parameters that enter the laws but are not re-estimated (sigma2 of gaussian-mean)
    constants: tuple[Parameter, ...] = ()
    #: the law of one data point, drawn in brute-force mode
    #: (:mod:`modelcollapse.families.data`); None for families without one
    data: DataModel | None = None

    def parameter(self, name: str) -> Parameter:
        for p in (*self.parameters, *self.constants):
            if p.name == name:
                return p
        allowed = ", ".join(p.name for p in (*self.parameters, *self.constants))
        raise ValueError(f"unknown parameter {name!r} for {self.name}; allowed: {allowed}")

    def estimator(self, name: str | None = None) -> Estimator:
        name = self.default_estimator if name is None else name
        if not isinstance(name, str):  # a wrong kind, not an unknown name
            raise TypeError(f"estimator must be a str, one of {', '.join(self.estimators)}, "
                            f"got {name!r}")
        if name not in self.estimators:
            allowed = ", ".join(self.estimators)
            raise ValueError(f"unknown estimator {name!r} for {self.name}; allowed: {allowed}")
        return self.estimators[name]

    def min_size(self, estimator: str | None = None, dim: int = 1) -> int:
        """The smallest admissible :math:`n_t`: the estimator's ``min_size``, raised where a
        Wishart law needs :math:`df \\ge d` in dimension ``dim``."""
        est = self.estimator(estimator)
        size = est.min_size
        for law in est.laws.values():
            size = max(size, law.smallest_size(dim))
            if isinstance(law, Wishart):
                size = _first_size(lambda m, law=law: float(law.df.subs(symbols.n, m)) >= dim,
                                   size)
        return size

    def at_dimension(self, dim: int) -> Family:
        """The family with the dimension symbol :math:`d` of its laws set to ``dim``
        (:meth:`Law.at_dimension`; least squares in :math:`d` coefficients), itself where no
        law uses it. One object per (family, dim), so the engines' caches keep working.

        >>> from modelcollapse.families import get_family
        >>> get_family("poisson").at_dimension(3) is get_family("poisson")
        True
        """
        laws = {e: {k: law.at_dimension(dim) for k, law in est.laws.items()}
                for e, est in self.estimators.items()}
        if all(laws[e][k] is law for e, est in self.estimators.items()
               for k, law in est.laws.items()):
            return self
        key = (id(self), int(dim))
        hit = _AT_DIMENSION.get(key)
        if hit is not None and hit[0] is self:
            return hit[1]
        found = replace(self, estimators={e: replace(est, laws=laws[e])
                                          for e, est in self.estimators.items()})
        _AT_DIMENSION[key] = (self, found)
        return found

    def law(self, parameter: str | None = None, estimator: str | None = None,
            bias: Bias | None = None) -> Law:
        r"""The one-step law of one parameter (the first by default), bias included: the only
        place where bias meets a law. A location is shifted by :math:`\kappa n^{-\alpha}`, a
        positive parameter scaled by :math:`c(n) = 1 - \kappa n^{-\alpha}`.

        >>> from modelcollapse.families import get_family
        >>> get_family("poisson").law(bias=Bias(1, 1))  # thinning keeps integer counts
        PoissonMean(size=n, rate=lambda*(1 - 1/n))
        """
        p = self.parameters[0] if parameter is None else self.parameter(parameter)
        law = self.estimator(estimator).laws[p.name]
        if bias is None or not bias.active:
            return law
        key = (id(self), p.name, estimator, bias)
        hit = _BIASED_LAWS.get(key)  # the simulator asks every block and generation
        if hit is not None and hit[0] is self:
            return hit[1]
        if p.kind == "location":
            biased = law.shifted(bias.amount())
        elif p.kind in ("scale", "rate", "covariance"):
            biased = law.scaled(bias.factor())
        else:
            raise ValueError(f"bias is defined for location, scale and rate parameters; "
                             f"{p.name} of {self.name} is a {p.kind}")
        _BIASED_LAWS[key] = (self, biased)
        return biased

    def step_law(self, estimator: str | None = None, bias: Bias | None = None) -> dict[str, str]:
        """The one-step law of each parameter, as text (what ``families`` prints)."""
        return {p.name: str(self.law(p.name, estimator, bias)) for p in self.parameters}

    def moment_map(self, parameter: str | None = None, estimator: str | None = None,
                   bias: Bias | None = None) -> MomentMap:
        r"""The moment map of one parameter (the first by default), read off its biased law
        (:meth:`law`): :math:`m = E[\hat\theta\mid\theta]`,
        :math:`v = \mathrm{Var}[\hat\theta\mid\theta]`. Cached per family object: building
        it factors rational functions with SymPy, and the simulator's normal mode asks every
        generation.
        """
        key = (id(self), parameter, estimator, bias)
        hit = _MOMENT_MAPS.get(key)
        if hit is not None and hit[0] is self:
            return hit[1]
        p = self.parameters[0] if parameter is None else self.parameter(parameter)
        law = self.law(p.name, estimator, bias)
        mm = MomentMap.build(p.symbol, law.mean(), law.variance(), law)
        _MOMENT_MAPS[key] = (self, mm)
        return mm

    def __repr__(self) -> str:
        return f"Family({self.name!r}: {', '.join(p.name for p in self.parameters)})"
