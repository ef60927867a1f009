r"""User-defined families: from a moment map, or from a log-density through the Fisher information.

A user family has one scalar parameter :math:`\theta` and one estimator whose one-step law is
the normal approximation

.. math::

    \hat\theta_t \mid \hat\theta_{t-1} = \theta \;\sim\; \mathcal N\big(m(\theta, n),
    v(\theta, n)\big), \qquad n = n_t,

so that the law carries the moment map :math:`m(\theta, n) = E[\hat\theta\mid\theta]`,
:math:`v(\theta, n) = \mathrm{Var}[\hat\theta\mid\theta]` exactly.

* :func:`from_moment_map` takes :math:`m` and :math:`v` as text in the parameter and ``n``,
  e.g. ``mean="theta"``, ``variance="2*theta**2/(n-1)"``.
* :func:`from_log_density` takes :math:`\log f(x \mid \theta)` as text and builds the MLE's
  asymptotic law :math:`\mathcal N\big(\theta, 1/(n I(\theta))\big)` from the Fisher information

  .. math::

      I(\theta) = E\Big[\big(\partial_\theta \log f(X\mid\theta)\big)^2\Big]
                = -E\big[\partial^2_\theta \log f(X\mid\theta)\big],

  computed symbolically (:func:`fisher_information`).

When :math:`m` is affine and :math:`v` quadratic in :math:`\theta`, the theory
(:func:`modelcollapse.theory.derive`) solves the moment recursions exactly. Otherwise it raises
:class:`~modelcollapse.errors.NoClosedFormError`, and :func:`linearised` gives the asymptotic
route of the theory (*general family, asymptotic*): with :math:`v = V(\theta)/n` and bias
:math:`o(n^{-1/2})`,

.. math::

    \sqrt{n_0}\,(\hat\theta_T - \theta^*) \;\approx\; \mathcal N\big(0,\ V(\theta^*)\,
    (1 + n_0 S_T)\big), \qquad S_T = \sum_{t=1}^{T} 1/n_t,

which is what the linearised family (variance frozen at :math:`\theta^*`, mean linearised
around :math:`\theta^*`) gives exactly.

User text goes through the whitelist parser :func:`modelcollapse.expressions.parse_expression`
only, never through :func:`eval` or :func:`sympy.sympify`.

The theory's :func:`~modelcollapse.theory.derive` looks families up by name, so a user family
must be registered (``register=True``, or :func:`modelcollapse.families.register`) before it is
derived.

Examples
--------
>>> fam = from_moment_map("my-var", parameter="theta", mean="theta",
...                       variance="2*theta**2/(n - 1)", domain="positive", kind="scale")
>>> fam.estimator().laws["theta"]
Normal(loc=theta, var=2*theta**2/(n - 1))
>>> fam.estimator().min_size  # the variance has a pole at n = 1
2
>>> fam.moment_map().closes
True
>>> cubic = from_moment_map("my-cubic", parameter="theta", mean="theta",
...                         variance="theta**3/n", domain="positive", kind="scale")
>>> cubic.moment_map().closes
False
>>> linearised(cubic, 2.0).estimator().laws["theta"]
Normal(loc=theta, var=8/n)
>>> expo = from_log_density("my-exponential", parameter="lam", log_density="log(lam) - lam*x",
...                         support=("0", "oo"))
>>> fisher_information(expo)
lam**(-2)
"""

from __future__ import annotations

import keyword
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

import sympy as sp

from modelcollapse import symbols
from modelcollapse.arguments import choice, flag, integer, real
from modelcollapse.expressions import as_expression, parse_expression
from modelcollapse.families.base import Domain, Estimator, Family, Kind, Parameter
from modelcollapse.families.laws import Law, Normal
from modelcollapse.families.lawtext import parse_law
from modelcollapse.guards import check_degree

__all__ = [
    "UserFamily",
    "from_moment_map",
    "from_log_density",
    "linearised",
    "fisher_information",
    "DOMAINS",
    "KINDS",
]

#: domains a user family's scalar parameter may have (``simplex`` and ``spd`` are vectors)
DOMAINS: tuple[str, ...] = tuple(d for d in get_args(Domain) if d not in ("simplex", "spd"))
#: kinds a user family's scalar parameter may have (``covariance`` is a matrix)
KINDS: tuple[str, ...] = tuple(k for k in get_args(Kind) if k != "covariance")

_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MAX_NAME = 64
#: names a parameter (or the variable of a density) may not take: they mean something else in
#: expressions, moment maps or the theory's printed results
_RESERVED = frozenset({"n", "n0", "n_0", "t", "T", "s", "u", "r", "kappa", "alpha", "pi", "e",
                       "E", "I", "oo", "log", "ln", "exp", "sqrt"})
_DEFAULTS = {"real": 0.0, "positive": 1.0, "unit_interval": 0.5}
_INFINITE = {"oo": sp.oo, "+oo": sp.oo, "inf": sp.oo, "+inf": sp.oo, "infinity": sp.oo,
             "-oo": -sp.oo, "-inf": -sp.oo, "-infinity": -sp.oo}
_BAD = (sp.zoo, sp.nan, sp.oo, -sp.oo)
#: largest pole of m or v in n for which min_size is raised automatically
_MAX_AUTO_MIN_SIZE = 10**6


@dataclass(frozen=True, repr=False)
class UserFamily(Family):
    """A :class:`~modelcollapse.families.base.Family` built from user text.

    Besides the family, it keeps where it came from: ``origin`` (``"moment map"``,
    ``"log-density"`` or ``"linearised"``), the user's ``texts``, the Fisher information
    :math:`I(\\theta)` of a log-density family (``fisher``, else None), for a linearised
    family the point ``theta_star`` it was linearised at, and for a family read from a family
    file that file's text (``source``, else empty), from which
    :func:`~modelcollapse.families.files.loads` builds it again.
    """

    origin: str = "moment map"
    texts: Mapping[str, str] = field(default_factory=dict)
    fisher: sp.Expr | None = None
    theta_star: float | None = None
    source: str = field(default="", compare=False)


# ------------------------------------------------------------------------------------------
# validation helpers
# ------------------------------------------------------------------------------------------
def _check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"family name must be a str, got {type(name).__name__}")
    if not name:
        raise ValueError("family name must not be empty; use lowercase letters, digits and "
                         "hyphens, e.g. 'my-family'")
    if len(name) > _MAX_NAME or not _NAME.fullmatch(name):
        raise ValueError(f"family name {name!r} is not allowed; use lowercase letters, digits "
                         f"and single inner hyphens (at most {_MAX_NAME} characters), "
                         "e.g. 'my-family'")
    return name


def _check_identifier(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    if not value.isidentifier() or keyword.iskeyword(value) or value.startswith("_") \
            or not value.isascii():
        raise ValueError(f"{what} {value!r} is not a valid name; use an ASCII identifier such "
                         "as 'theta' (letters, digits, '_', not starting with '_' or a digit)")
    if value in _RESERVED:
        raise ValueError(f"{what} {value!r} is reserved; not allowed: "
                         f"{', '.join(sorted(_RESERVED))}")
    return value


def _make_parameter(parameter: str, domain: str, kind: str, default: Any, family: str,
                    description: str) -> Parameter:
    _check_identifier(parameter, "parameter")
    choice("domain", domain, DOMAINS)
    choice("kind", kind, KINDS)
    if default is None:
        default = _DEFAULTS[domain]
    p = Parameter(parameter, parameter, domain, 0.0, kind, description)  # type: ignore[arg-type]
    try:
        value = p.check(default, family)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"default: {exc}") from None
    return Parameter(parameter, parameter, domain, value, kind, description)  # type: ignore


def _exact(value: float) -> sp.Expr:
    """A float as the exact rational of its shortest repr (1.5 -> 3/2, 0.1 -> 1/10)."""
    return sp.Rational(repr(float(value)))


def _constants(constants: Mapping[str, Any] | None, family: str,
               taken: tuple[str, ...]) -> dict[str, sp.Expr]:
    """Named constants as exact numbers for the expressions (``{"k": 2.5}`` -> ``k = 5/2``)."""
    if constants is None:
        return {}
    if not isinstance(constants, Mapping):
        raise TypeError(f"constants of family {family} must be a mapping NAME -> number, got "
                        f"{type(constants).__name__}")
    out = {}
    for key, value in constants.items():
        _check_identifier(key, f"constant of family {family}")
        if key in taken:
            raise ValueError(f"constant {key!r} of family {family} has the name of the "
                             "parameter or the variable")
        real(f"constant {key} of family {family}", value)
        out[key] = sp.Integer(value) if isinstance(value, numbers.Integral) else _exact(value)
    return out


def _expression(value: Any, names: Mapping[str, sp.Expr], what: str) -> sp.Expr:
    """User text, or a SymPy expression, through the same whitelist and guards
    (:func:`~modelcollapse.expressions.as_expression`: a SymPy expression's symbols are
    matched by name to the allowed ones)."""
    if not isinstance(value, str | sp.Expr):
        raise TypeError(f"{what} must be a str or a SymPy expression, got "
                        f"{type(value).__name__}")
    expr = as_expression(value, names, what=what)
    # recursions, limits and poles of a huge polynomial never finish: refuse it up front
    return check_degree(expr, [v for v in names.values() if isinstance(v, sp.Symbol)], what)


def _declared_law(law: Any, names: Mapping[str, sp.Expr], family: str,
                  moments: Mapping[str, sp.Expr | None], parameter: str) -> Law:
    """The exact law from its text, checked against the declared moment map where given."""
    if isinstance(law, Law):
        parsed = law
    else:
        parsed = parse_law(law, names, what=f"law of family {family}")
        variables = [v for v in names.values() if isinstance(v, sp.Symbol)]
        for what, moment in (("mean", parsed.mean()), ("variance", parsed.variance())):
            check_degree(moment, variables, f"the {what} of the law of family {family}")
    # the law is the step from the previous generation's estimate: without the parameter
    # there is no chain, and the engines that look the parameter up fail far from here
    # (matched by name, so a Law built with a differently-assumed symbol still counts)
    used = {s.name for v in parsed.args().values() if isinstance(v, sp.Basic)
            for s in v.free_symbols}
    if parameter not in used:
        raise ValueError(f"family {family}: the law {str(law)[:80]!r} does not depend on "
                         f"{parameter}")
    for what, declared, own in (("mean", moments.get("mean"), parsed.mean()),
                                ("variance", moments.get("variance"), parsed.variance())):
        if declared is not None and sp.simplify(own - declared) != 0:
            raise ValueError(f"family {family}: the law's {what} {sp.sstr(sp.factor(own))} "
                             f"differs from the declared {what} {sp.sstr(declared)}")
    return parsed


def _title(description: Any, generated: str) -> str:
    if description is None:
        return generated
    if not isinstance(description, str):
        raise TypeError(f"description must be a str, got {type(description).__name__}")
    return " ".join(description.split())[:200] or generated


def _collapse_text(p: Parameter) -> str:
    if p.kind == "location":
        return f"the estimate wanders without limit: E({p.name}_T - {p.name})^2 diverges"
    if p.kind == "probability":
        return f"{p.name} fixes at 0 or 1"
    return f"{p.name} degenerates: it shrinks to 0 or grows without limit"


def _poles(expr: sp.Expr) -> list[float]:
    """Real roots in n of the denominator of ``expr`` (empty when it is not a polynomial)."""
    den = sp.denom(sp.together(expr))
    if not den.has(symbols.n):
        return []
    try:
        roots = sp.Poly(den, symbols.n).real_roots()
    except (sp.PolynomialError, NotImplementedError, sp.polys.polyerrors.DomainError):
        return []
    return [float(r) for r in roots]


def _smallest_size(family: str, theta: sp.Symbol, default: float, exprs: dict[str, sp.Expr],
                   min_size: int) -> int:
    r"""``min_size`` raised above the poles of :math:`m, v` in ``n`` (at the default value),
    then :math:`m` finite and :math:`v \ge 0` checked at a few admissible sizes."""
    at_default = {k: e.subs(theta, _exact(default)) for k, e in exprs.items()}
    poles = [r for e in at_default.values() for r in _poles(e)]
    size = min_size
    if poles and max(poles) >= size:
        top = max(poles)
        if top >= _MAX_AUTO_MIN_SIZE:
            raise ValueError(f"family {family}: the moment map has a pole at n = {top:g}; "
                             "sample sizes that large are not supported")
        size = max(size, math.floor(top) + 1)
    for nval in sorted({size, size + 1, 10 * size, 1000 * size}):
        for what, e in at_default.items():
            value = e.subs(symbols.n, nval)
            number = complex(value.evalf()) if value.is_number else None
            if number is None or value.has(*_BAD) or abs(number.imag) > 0 \
                    or not math.isfinite(number.real):
                raise ValueError(f"family {family}: the {what} {sp.sstr(exprs[what])} is not a "
                                 f"finite real number at {theta} = {default}, n = {nval}; "
                                 "raise min_size or change the expression")
            if what == "variance" and number.real < 0:
                raise ValueError(f"family {family}: the variance {sp.sstr(exprs[what])} is "
                                 f"negative ({number.real:.4g}) at {theta} = {default}, "
                                 f"n = {nval}")
    return size


def _user_family(name: str, title: str, p: Parameter, estimator: Estimator, *, origin: str,
                 texts: Mapping[str, str], fisher: sp.Expr | None = None,
                 theta_star: float | None = None, register: bool = False) -> UserFamily:
    register = flag("register", register)
    fam = UserFamily(
        name=name,
        title=title,
        parameters=(p,),
        estimators={estimator.name: estimator},
        default_estimator=estimator.name,
        collapse=_collapse_text(p),
        origin=origin,
        texts=dict(texts),
        fisher=fisher,
        theta_star=theta_star,
    )
    if register:
        from modelcollapse.families import register as _register

        _register(fam)
    return fam


# ------------------------------------------------------------------------------------------
# from a moment map
# ------------------------------------------------------------------------------------------
def from_moment_map(
    name: str,
    *,
    parameter: str,
    mean: str | sp.Expr | None = None,
    variance: str | sp.Expr | None = None,
    domain: str = "real",
    kind: str = "location",
    default: float | None = None,
    min_size: int = 1,
    constants: Mapping[str, float] | None = None,
    law: str | Law | None = None,
    description: str | None = None,
    register: bool = False,
) -> UserFamily:
    r"""A one-parameter family given by its moment map :math:`m(\theta, n)`, :math:`v(\theta, n)`.

    The estimator ``"user"`` (the default one) has the one-step law
    :math:`\mathcal N\big(m(\theta, n), v(\theta, n)\big)`, whose mean and variance are the
    moment map exactly. When :math:`m = a(n)\theta + b(n)` and :math:`v = \alpha(n)\theta^2 +
    \beta(n)\theta + \gamma(n)` the theory's moment recursions close exactly; otherwise use
    :func:`linearised` (asymptotic).

    Parameters
    ----------
    name : str
        Family name: lowercase letters, digits and hyphens, e.g. ``"my-family"``.
    parameter : str
        Name of the parameter :math:`\theta` (an identifier, not ``n`` nor another reserved
        name such as ``t``, ``pi``, ``log``).
    mean, variance : str or sympy.Expr
        :math:`m(\theta, n)` and :math:`v(\theta, n)` as text in the parameter and ``n``
        (numbers, ``+ - * / **``, ``log``, ``exp``, ``sqrt``, ``pi``, ``e``), or as SymPy
        expressions in symbols of those names (matched by name, whatever their assumptions).
    domain : {"real", "positive", "unit_interval"}
        Domain of the parameter.
    kind : {"location", "scale", "rate", "probability"}
        How bias enters (additively for a location, as a factor otherwise) and what collapse
        means.
    default : float, optional
        Default value of the parameter; 0, 1 or 1/2 by domain when omitted.
    min_size : int
        Smallest admissible sample size; raised automatically above the real poles of
        :math:`m` and :math:`v` in ``n`` (``2`` for ``1/(n - 1)``).
    constants : mapping, optional
        Named numbers usable in the expressions, e.g. ``{"k": 2.5}``.
    description : str, optional
        The family's title (default: one generated from the moment map).
    law : str, optional
        The exact one-step law in the law vocabulary
        (:func:`modelcollapse.families.lawtext.parse_law`), e.g. ``"theta * Gamma(n, 1) / n"``:
        enables exact simulation, exact log-moments and the likelihood. ``mean`` and
        ``variance`` may then be omitted (read off the law); given, they must agree with it.
    register : bool
        Also add the family to the registry (:func:`modelcollapse.families.register`); a name
        already registered raises ``ValueError``.

    Returns
    -------
    UserFamily

    Raises
    ------
    ValueError
        One-line messages for a bad name, parameter, domain, kind, default, min_size, for text
        the whitelist parser refuses (unknown names, calls other than log/exp/sqrt...), for a
        moment map that is not finite or a variance that is negative at the default value.
    TypeError
        For a value of the wrong kind: a name that is not a str, a float or bool for
        ``min_size``, a constant or default that is not a number.

    Examples
    --------
    >>> fam = from_moment_map("shifted", parameter="theta", mean="theta + 1/n",
    ...                       variance="1/n")
    >>> mm = fam.moment_map()
    >>> mm.closes, mm.coefficients["b"], mm.coefficients["gamma"]
    (True, 1/n, 1/n)
    >>> from_moment_map("bad", parameter="theta", mean="theta", variance="__import__('os')")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: call "__import__('os')" is not allowed in variance of family bad ...
    """
    name = _check_name(name)
    min_size = integer("min_size", min_size, low=1)
    p = _make_parameter(parameter, domain, kind, default, name, "user-defined parameter")
    theta = p.symbol
    names = {**_constants(constants, name, (parameter,)), parameter: theta, "n": symbols.n}
    if (mean is None or variance is None) and law is None:
        raise ValueError(f"family {name} needs mean and variance, or a law")
    exprs = {what: _expression(text, names, f"{what} of family {name}")
             for what, text in (("mean", mean), ("variance", variance)) if text is not None}
    if law is not None:
        step = _declared_law(law, names, name, exprs, parameter)
        exprs = {"mean": step.mean(), "variance": step.variance()}
        estimator_name, text = "user", "user-declared exact law"
    else:
        step = Normal(exprs["mean"], exprs["variance"])
        estimator_name, text = "user", "user-defined moment map (normal approximation)"
    size = _smallest_size(name, theta, float(p.default), exprs, min_size)  # type: ignore[arg-type]
    estimator = Estimator(estimator_name, text, {parameter: step}, size, exact=law is not None)
    title = _title(description, f"user-defined: m = {sp.sstr(exprs['mean'])}, "
                                f"v = {sp.sstr(exprs['variance'])}")
    texts = {k: str(v) for k, v in (("mean", mean), ("variance", variance), ("law", law))
             if v is not None}
    return _user_family(name, title, p, estimator, origin="moment map", texts=texts,
                        register=register)


# ------------------------------------------------------------------------------------------
# asymptotic route
# ------------------------------------------------------------------------------------------
def _slug(value: float) -> str:
    return repr(float(value)).replace("-", "m").replace(".", "p").replace("+", "")


def linearised(
    family: str | Family,
    theta_star: float,
    *,
    estimator: str | None = None,
    name: str | None = None,
    register: bool = False,
) -> UserFamily:
    r"""The asymptotic (linearised) version of a one-parameter family around :math:`\theta^*`.

    The one-step law becomes :math:`\mathcal N\big(\tilde m(\theta, n), \tilde v(n)\big)` with

    .. math::

        \tilde m(\theta, n) = m(\theta^*, n) + \partial_\theta m(\theta^*, n)\,
        (\theta - \theta^*), \qquad \tilde v(n) = v(\theta^*, n),

    which always closes, so :func:`modelcollapse.theory.derive` works on it. The result is
    **asymptotic**, not exact: it is the first order in :math:`\hat\theta_t - \theta^*` of the
    original walk, valid while the walk stays near :math:`\theta^*` (large sizes, no collapse).
    For :math:`m = \theta` and :math:`v = V(\theta)/n` it gives
    :math:`\mathrm{Var}\,\hat\theta_T = V(\theta^*)\sum_{t=0}^{T} 1/n_t`, i.e. the asymptotic route:
    :math:`\sqrt{n_0}(\hat\theta_T - \theta^*) \approx \mathcal N(0, V(\theta^*)(1 + n_0 S_T))`.

    Parameters
    ----------
    family : str or Family
        A registered name or a family with one scalar parameter.
    theta_star : float
        The true value :math:`\theta^*`; also the default parameter value of the result (so
        ``derive`` without ``params`` evaluates at :math:`\theta^*`, where it is valid).
    estimator : str, optional
        Which estimator of ``family`` (its default when omitted).
    name : str, optional
        Name of the result; default ``"<family>-at-<theta*>"`` (``"my-cubic-at-2p0"``).
    register : bool
        Also add the result to the registry.

    Returns
    -------
    UserFamily
        ``origin == "linearised"``, ``theta_star`` set, the estimator ``"linearised"``.

    Examples
    --------
    >>> fam = from_moment_map("curved", parameter="theta", mean="theta + theta**2/n",
    ...                       variance="theta**3/n", domain="positive", kind="scale")
    >>> lin = linearised(fam, 2.0)
    >>> lin.name, lin.parameters[0].default
    ('curved-at-2p0', 2.0)
    >>> law = lin.estimator().laws["theta"]
    >>> sp.factor(law.loc), law.var
    ((n*theta + 4*theta - 4)/n, 8/n)
    """
    from modelcollapse.families import get_family

    fam = get_family(family)
    if fam.vector or len(fam.parameters) != 1:
        raise ValueError(f"linearised needs a family with one scalar parameter; "
                         f"{fam.name} has {', '.join(p.name for p in fam.parameters)}")
    p = fam.parameters[0]
    value = p.check(theta_star, fam.name)
    est = fam.estimator(estimator)
    law = est.laws[p.name]
    theta, star = p.symbol, _exact(value)
    m, v = law.mean(), law.variance()
    slope = sp.diff(m, theta).subs(theta, star)
    m_lin = sp.simplify(m.subs(theta, star) + slope * (theta - star))
    v_lin = sp.simplify(v.subs(theta, star))
    for what, e in (("mean", m_lin), ("variance", v_lin)):
        if e.has(*_BAD):
            raise ValueError(f"family {fam.name}: the {what} is not finite when linearised at "
                             f"{p.name} = {value}")
    new_name = _check_name(name if name is not None else f"{fam.name}-at-{_slug(value)}")
    new_p = Parameter(p.name, p.symbol_name, p.domain, value, p.kind, p.description)
    new_est = Estimator("linearised", f"{est.description}, linearised at {p.name} = {value} "
                        "(asymptotic)", {p.name: Normal(m_lin, v_lin)}, est.min_size,
                        exact=False)
    title = f"{fam.title}, linearised at {p.name} = {value} (asymptotic)"
    texts = dict(getattr(fam, "texts", {}) or {})
    return _user_family(new_name, title, new_p, new_est, origin="linearised", texts=texts,
                        fisher=getattr(fam, "fisher", None), theta_star=value,
                        register=register)


# ------------------------------------------------------------------------------------------
# from a log-density
# ------------------------------------------------------------------------------------------
def _bound(text: Any, family: str) -> sp.Expr:
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = repr(text)
    if not isinstance(text, str):
        raise TypeError(f"support bound of family {family} must be a str, got "
                        f"{type(text).__name__}")
    key = text.strip().lower()
    if key in _INFINITE:
        return _INFINITE[key]
    try:
        value = parse_expression(text, {}, what=f"support bound of family {family}")
    except ValueError as exc:
        raise ValueError(f"{exc}, oo, -oo, inf, -inf") from None
    return value


def _integral(expr: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr, what: str,
              family: str) -> sp.Expr:
    result = sp.integrate(expr, (x, lo, hi), conds="none")
    if result.has(sp.Integral) or result.has(sp.Piecewise) or result.has(x):
        raise ValueError(f"family {family}: SymPy could not compute the integral of the {what} "
                         f"over ({lo}, {hi}); try another parametrisation or from_moment_map")
    return result


def _numeric_values(expr: sp.Expr, theta: sp.Symbol, points: list[float]) -> list[complex]:
    out = []
    for point in points:
        value = expr.subs(theta, _exact(point)).evalf(30)
        out.append(complex(value) if value.is_number else complex("nan"))
    return out


def from_log_density(
    name: str,
    *,
    parameter: str,
    log_density: str | sp.Expr,
    support: tuple[str, str] = ("-oo", "oo"),
    variable: str = "x",
    domain: str = "positive",
    kind: str = "scale",
    default: float = 1.0,
    constants: Mapping[str, float] | None = None,
    law: str | Law | None = None,
    min_size: int = 1,
    description: str | None = None,
    register: bool = False,
) -> UserFamily:
    r"""A one-parameter family given by its log-density, with the MLE's asymptotic law.

    The Fisher information is computed symbolically,

    .. math::

        I(\theta) = -\int_{a}^{b} f(x\mid\theta)\, \partial^2_\theta \log f(x\mid\theta)\, dx,

    through the moments :math:`E[X^k]` when :math:`\partial^2_\theta\log f` is a polynomial in
    :math:`x` (the usual case: SymPy then integrates only simple densities times powers), and
    by direct integration otherwise. The estimator ``"mle"`` has the step law
    :math:`\mathcal N\big(\theta, 1/(n I(\theta))\big)`. It closes exactly when :math:`1/I` is a
    polynomial of degree at most 2 (scale and location families); otherwise use
    :func:`linearised`.

    Parameters
    ----------
    name : str
        Family name: lowercase letters, digits and hyphens.
    parameter : str
        Name of the parameter :math:`\theta`.
    log_density : str or sympy.Expr
        :math:`\log f(x\mid\theta)` as text in ``variable`` and ``parameter`` (numbers,
        ``+ - * / **``, ``log``, ``exp``, ``sqrt``, ``pi``, ``e``), or a SymPy expression in
        symbols of those names (sympy.Expr accepted: same whitelist).
    support : tuple of str
        The support :math:`(a, b)` of the density; numbers or ``"oo"``, ``"-oo"``,
        ``"inf"``, ``"-inf"``. It may not depend on the parameter.
    variable : str
        Name of the data variable.
    domain, kind, default, constants, min_size
        As in :func:`from_moment_map`.
    law : str, optional
        The estimator's exact one-step law (as in :func:`from_moment_map`); without it the
        estimator is the MLE with its asymptotic normal law.
    register : bool
        Also add the family to the registry.

    Returns
    -------
    UserFamily
        With ``fisher`` holding :math:`I(\theta)` (also :func:`fisher_information`).

    Raises
    ------
    ValueError
        For bad names or text (as :func:`from_moment_map`), a bad support, a density that
        does not integrate to 1 (the message gives the integral found), an integral SymPy
        cannot compute, a Fisher information that is not positive and finite.

    Notes
    -----
    SymPy's ``integrate`` can be slow on unusual densities; the moment route above keeps the
    usual cases well under a second.

    Examples
    --------
    >>> fam = from_log_density("my-rayleigh", parameter="sigma",
    ...                        log_density="log(x) - 2*log(sigma) - x**2/(2*sigma**2)",
    ...                        support=("0", "oo"))
    >>> fisher_information(fam)
    4/sigma**2
    >>> fam.estimator().laws["sigma"]
    Normal(loc=sigma, var=sigma**2/(4*n))
    >>> from_log_density("half", parameter="lam", log_density="log(lam) - 2*lam*x",
    ...                  support=("0", "oo"))
    Traceback (most recent call last):
    ...
    ValueError: family half: log_density: the density integrates to 1/2 over (0, oo), not 1
    """
    name = _check_name(name)
    p = _make_parameter(parameter, domain, kind, default, name, "user-defined parameter")
    variable = _check_identifier(variable, "variable")
    if variable == parameter:
        raise ValueError(f"variable and parameter must differ, both are {variable!r}")
    min_size = integer("min_size", min_size, low=1)
    named = _constants(constants, name, (parameter, variable))
    if not isinstance(support, tuple | list):
        raise TypeError(f"support must be a pair (low, high), got {support!r}")
    if len(support) != 2:
        raise ValueError(f"support must be a pair (low, high), got {support!r}")
    lo, hi = (_bound(b, name) for b in support)
    if not bool(lo < hi):
        raise ValueError(f"support must have low < high, got ({lo}, {hi})")
    assumptions = {"positive": True} if lo.is_nonnegative else (
        {"negative": True} if hi.is_nonpositive else {"real": True})
    x = sp.Symbol(variable, **assumptions)
    theta = p.symbol
    log_f = _expression(log_density, {**named, variable: x, parameter: theta},
                        f"log-density of family {name}")
    if not log_f.has(x):
        raise ValueError(f"family {name}: the log-density does not depend on {variable}")
    if not log_f.has(theta):
        raise ValueError(f"family {name}: the log-density does not depend on {parameter}")
    density = sp.exp(log_f)

    # normalisation
    total = sp.simplify(_integral(density, x, lo, hi, "density", name))
    if total != 1:
        points = [float(p.default), 0.5 + 1.5 * abs(float(p.default)), 3.25]
        if not all(abs(v - 1) < 1e-20 for v in _numeric_values(total, theta, points)):
            raise ValueError(f"family {name}: log_density: the density integrates to "
                             f"{sp.sstr(total)} over "
                             f"({lo}, {hi}), not 1")

    # Fisher information, -E[d^2/dtheta^2 log f]
    second = sp.expand(sp.diff(log_f, theta, 2))
    try:
        poly = sp.Poly(second, x)
    except sp.PolynomialError:
        poly = None
    if poly is not None and not any(c.has(x) for c in poly.coeffs()):
        info = sp.Integer(0)
        for (k,), coefficient in poly.terms():
            moment = sp.Integer(1) if k == 0 else _integral(
                x**k * density, x, lo, hi, f"moment E[{variable}^{k}]", name)
            info -= coefficient * moment
    else:
        integrand = density * second
        if integrand.is_rational_function(x):  # one fraction: SymPy's rational route is faster
            integrand = sp.cancel(sp.together(integrand))
        info = -_integral(integrand, x, lo, hi, "Fisher information integrand", name)
    info = sp.factor(sp.simplify(info))
    extra = info.free_symbols - {theta}
    value = _numeric_values(info, theta, [float(p.default)])[0]
    if extra or info.has(*_BAD) or not (math.isfinite(value.real) and value.real > 0
                                         and abs(value.imag) < 1e-12 * abs(value.real)):
        raise ValueError(f"family {name}: the Fisher information {sp.sstr(info)} is not "
                         f"positive and finite at {parameter} = {p.default}")

    if law is None:
        step: Law = Normal(theta, sp.simplify(1 / (symbols.n * info)))
        estimator = Estimator("mle", "maximum likelihood, asymptotic normal law",
                              {parameter: step}, min_size, exact=False)
    else:
        names = {**named, parameter: theta, "n": symbols.n}
        step = _declared_law(law, names, name, {}, parameter)
        size = _smallest_size(name, theta, float(p.default),
                              {"mean": step.mean(), "variance": step.variance()}, min_size)
        estimator = Estimator("user", "user-declared exact law", {parameter: step}, size)
    title = _title(description, f"user-defined log-density {sp.sstr(log_f)} on ({lo}, {hi})")
    return _user_family(name, title, p, estimator, origin="log-density",
                        texts={"log_density": str(log_density),
                               "support": f"({support[0]}, {support[1]})",
                               **({"law": str(law)} if law is not None else {})},
                        fisher=info, register=register)


def fisher_information(family: str | Family) -> sp.Expr:
    r"""The Fisher information :math:`I(\theta)` of a family built by :func:`from_log_density`
    (or linearised from one), as a SymPy expression in the parameter symbol.

    Examples
    --------
    >>> fam = from_log_density("my-normal-var", parameter="v",
    ...                        log_density="-x**2/(2*v) - log(sqrt(2*pi*v))")
    >>> fisher_information(fam)
    1/(2*v**2)
    """
    from modelcollapse.families import get_family

    fam = get_family(family)
    info = getattr(fam, "fisher", None)
    if info is None:
        raise ValueError(f"family {fam.name} has no Fisher information; it is known for "
                         "families built by from_log_density")
    return info
