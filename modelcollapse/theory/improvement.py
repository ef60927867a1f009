r"""Probability that recursive training beats training on the real data alone.

Generation 0 fits :math:`\hat\theta_0` on :math:`n_0` real draws; after :math:`T` generations of
refitting on synthetic data the estimate is :math:`\hat\theta_T`. With an asymptotically normal
estimator of asymptotic covariance :math:`V`,

.. math::

    X = \hat\theta_0 - \theta^* \sim N(0, V / n_0), \qquad
    Y = \hat\theta_T - \hat\theta_0 \sim N(0, S_T V), \qquad
    S_T = \sum_{t=1}^{T} \frac{1}{n_t},

independent, and the quantity of interest is

.. math::

    P(T) = \Pr\bigl(\lVert \hat\theta_T - \theta^* \rVert
                    < \lVert \hat\theta_0 - \theta^*\rVert\bigr)
         = \Pr\bigl(2 X^\top Y + \lVert Y \rVert^2 < 0\bigr).

Conditioning on :math:`Y` gives the Euclidean-metric formula
:math:`P = E_Y[\Phi(-\lVert Y\rVert^2 / (2\sqrt{Y^\top V Y / n_0}))]`, which for isotropic
:math:`V` (or in the Mahalanobis metric) depends only on :math:`r = \sqrt{n_0 S_T}` and the
dimension. These formulas are derived here (Concepts, in the documentation) from standard
probability; they are not quotations from the paper.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from modelcollapse.arguments import choice, integer, real
from modelcollapse.families.laws import (
    InverseGamma,
    Law,
    Multiplicative,
    Normal,
    ScaledBeta,
    ScaledChiSquare,
    ScaledGamma,
)

if TYPE_CHECKING:
    pass

__all__ = [
    "r",
    "improvement_probability",
    "improvement_probability_general",
    "improvement_probability_symbolic",
    "improvement_limit_power",
    "IMPROVEMENT_METHODS",
    "gaussian_location",
    "numeric_improvement",
    "probability_from_spread",
    "spread",
]

#: the scaled random-walk spread :math:`r = \sqrt{n_0 S_T}` (a positive SymPy symbol)
r = sp.Symbol("r", positive=True)

_METHODS = ("exact", "quad")


# --------------------------------------------------------------------------------------------
# isotropic case
# --------------------------------------------------------------------------------------------


def spread(n0: int, inverse_sum: float) -> float:
    """:math:`r = \\sqrt{n_0 S_T}` (``inf`` when ``inverse_sum`` is infinite)."""
    return math.sqrt(n0 * inverse_sum) if math.isfinite(inverse_sum) else math.inf


def probability_from_spread(rr: float, dim: int) -> float:
    """Closed form :math:`E[\\Phi(-r\\chi_d/2)] = \\tfrac12 I_{4/(4+r^2)}(d/2, 1/2)`;
    0 at :math:`r = 0` (see :func:`improvement_probability`)."""
    if rr == 0.0:
        # T = 0: theta_T is theta_0, never strictly closer; the limit r -> 0+ is 1/2
        return 0.0
    if math.isinf(rr):
        return 0.0
    if dim == 1:
        # Cauchy tail; atan2 keeps full relative accuracy for tiny and huge r
        return math.atan2(2.0, rr) / math.pi
    from scipy import special  # here, not at import: scipy.special costs 0.2 s of start-up

    q = rr / 2.0
    if q >= 1.0:
        x = 1.0 / (1.0 + q * q)  # small argument: P ~ x^(d/2), relative accuracy kept
        return 0.5 * float(special.betainc(dim / 2.0, 0.5, x))
    xc = q * q / (1.0 + q * q)  # 1 - x, computed without cancellation
    return 0.5 * float(special.betaincc(0.5, dim / 2.0, xc))


def _quad(rr: float, dim: int) -> float:
    """:math:`\\int_0^\\infty \\Phi(-r x/2)\\, f_{\\chi_d}(x)\\, dx` by adaptive quadrature
    (0 at :math:`r = 0`, as :func:`probability_from_spread`)."""
    if rr == 0.0:
        return 0.0
    if math.isinf(rr):
        return 0.0
    # natural scale of the integrand: the chi density lives at x ~ sqrt(d), Phi(-r x/2) decays
    # at x ~ 2/r; integrate in y = x / c so that the bulk sits at y ~ 1
    c = 1.0 / (1.0 / math.sqrt(dim) + rr / 2.0)
    from scipy import special
    log_norm = (dim / 2.0 - 1.0) * math.log(2.0) + math.lgamma(dim / 2.0)
    log_c = math.log(c)

    def integrand(y: float) -> float:
        if y <= 0.0:
            return 0.0
        x = c * y
        log_pdf = (dim - 1) * math.log(x) - 0.5 * x * x - log_norm
        return math.exp(log_pdf + log_c + float(special.log_ndtr(-rr * x / 2.0)))

    # the integrand decays like exp(-y^2 (c^2/2 + r^2 c^2/8)) with c (...) >= ~1/2
    upper = 60.0
    from scipy import integrate  # only for the quadrature route; keeps start-up short

    head, _ = integrate.quad(integrand, 0.0, 1.0, epsabs=0.0, epsrel=1e-13, limit=200)
    tail, _ = integrate.quad(integrand, 1.0, upper, epsabs=0.0, epsrel=1e-13, limit=200)
    return head + tail


def improvement_probability(
    n0: int, inverse_sum: float, *, dim: int = 1, method: str = "exact"
) -> float:
    r"""Probability that generation :math:`T` is closer to the truth than generation 0.

    Isotropic (or Mahalanobis-metric) Gaussian case, with
    :math:`r = \sqrt{n_0 S_T}`:

    .. math::

        P(T) = E\bigl[\Phi(-r \chi_d / 2)\bigr]
             = \Pr\bigl(t_d > r\sqrt{d}/2\bigr)
             = \tfrac12\, I_{4/(4+r^2)}\bigl(\tfrac d2, \tfrac12\bigr),
        \qquad
        P(T) = \frac{1}{\pi}\arctan\frac{2}{r} \quad (d = 1),

    where :math:`\chi_d` is a chi variable, :math:`t_d` a Student variable and :math:`I` the
    regularized incomplete beta function. The middle equality holds because
    :math:`Z/\chi_d = t_d/\sqrt d` for independent :math:`Z \sim N(0,1)`.

    Parameters
    ----------
    n0 : int
        Size of generation 0 (the real data), at least 1.
    inverse_sum : float
        :math:`S_T = \sum_{t=1}^T 1/n_t`, at least 0; ``inf`` gives 0, and so does 0
        (:math:`T = 0`: :math:`\hat\theta_T = \hat\theta_0` is not strictly closer, although
        :math:`P \to 1/2` as :math:`S_T \to 0^+`).
    dim : int, optional
        Dimension :math:`d` of the parameter, at least 1.
    method : {"exact", "quad"}, optional
        ``"exact"`` (default) uses the closed forms above (relative accuracy near machine
        precision for all :math:`r`); ``"quad"`` integrates :math:`\Phi(-r x/2)` against the
        :math:`\chi_d` density with :func:`scipy.integrate.quad` (an independent check).

    Returns
    -------
    float
        :math:`P(T) \in [0, 1/2)`.

    Examples
    --------
    >>> round(improvement_probability(100, 0.01), 4)  # r = 1
    0.3524
    >>> improvement_probability(100, 0.0)  # T = 0: P(|x| < |x|) = 0
    0.0
    >>> round(improvement_probability(100, 0.01, dim=5), 3)
    0.157
    """
    n0 = integer("n0", n0, low=1, repeat_name=True)
    s_t = real("inverse_sum", inverse_sum, low=0, finite=False, repeat_name=True)
    dim = integer("dim", dim, low=1, repeat_name=True)
    method = choice("method", method, _METHODS, repeat_name=True)
    rr = spread(n0, s_t)
    return probability_from_spread(rr, dim) if method == "exact" else _quad(rr, dim)


# --------------------------------------------------------------------------------------------
# general covariance, Euclidean metric
# --------------------------------------------------------------------------------------------


def _check_covariance(covariance: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    if covariance is None or isinstance(covariance, str | bytes | bool):
        # (numpy would read None as nan and a numeric string as a number)
        raise TypeError(f"covariance must be a real symmetric positive-definite d x d array, "
                        f"got covariance = {covariance!r}")
    try:
        v = np.asarray(covariance, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"covariance must be a real symmetric positive-definite d x d array, "
            f"got covariance = {covariance!r}"
        ) from None
    if v.ndim == 0:
        v = v.reshape(1, 1)
    if v.ndim != 2 or v.shape[0] != v.shape[1] or v.shape[0] == 0:
        raise ValueError(
            f"covariance must be a square d x d array with d >= 1, got shape {v.shape}"
        )
    if not np.all(np.isfinite(v)):
        raise ValueError("covariance must be finite, got non-finite entries")
    if not np.allclose(v, v.T, rtol=1e-10, atol=1e-14 * float(np.max(np.abs(v)))):
        raise ValueError("covariance must be symmetric, got covariance != covariance.T")
    try:
        chol = np.linalg.cholesky(v)
    except np.linalg.LinAlgError:
        raise ValueError(
            "covariance must be positive definite, got a matrix whose Cholesky factorization fails"
        ) from None
    return v, chol


def improvement_probability_general(
    n0: int,
    inverse_sum: float,
    covariance: ArrayLike,
    *,
    draws: int = 200_000,
    seed: int | None = 0,
) -> tuple[float, float]:
    r"""Probability of improvement for a general covariance, Euclidean metric, by Monte Carlo.

    With :math:`Y \sim N(0, S_T V)` and :math:`X \sim N(0, V/n_0)` independent,
    :math:`X^\top Y \mid Y \sim N(0, Y^\top V Y / n_0)`, so

    .. math::

        P(T) = E_Y\left[\Phi\left(-\frac{\lVert Y\rVert^2}{2\sqrt{Y^\top V Y / n_0}}\right)\right]
             = E_W\left[\Phi\left(-\frac{r\,\lVert W\rVert^2}{2\sqrt{W^\top V W}}\right)\right],
        \qquad W = L Z,\ V = L L^\top,\ r = \sqrt{n_0 S_T}.

    The expectation over :math:`Z \sim N(0, I_d)` is estimated from ``draws`` samples
    (a conditional, Rao-Blackwellised Monte Carlo). For :math:`V = vI` it reduces to
    :func:`improvement_probability`.

    Parameters
    ----------
    n0 : int
        Size of generation 0, at least 1.
    inverse_sum : float
        :math:`S_T \ge 0` (``inf`` allowed).
    covariance : array_like, shape (d, d)
        Asymptotic covariance :math:`V` of :math:`\sqrt n(\hat\theta - \theta)`; symmetric
        positive definite.
    draws : int, optional
        Number of Monte Carlo draws, at least 2.
    seed : int or None, optional
        Seed for :func:`numpy.random.default_rng` (no global state is touched).

    Returns
    -------
    tuple of float
        ``(estimate, standard_error)``; the standard error is 0 for the degenerate cases
        :math:`S_T = 0` (:math:`T = 0`, estimate 0) and :math:`S_T = \infty` (estimate 0).

    Examples
    --------
    >>> est, se = improvement_probability_general(100, 0.01, [[1.0, 0.0], [0.0, 4.0]], draws=10_000)
    >>> 0.2 < est < 0.35 and se < 0.01
    True
    """
    n0 = integer("n0", n0, low=1, repeat_name=True)
    s_t = real("inverse_sum", inverse_sum, low=0, finite=False, repeat_name=True)
    v, chol = _check_covariance(covariance)
    draws = integer("draws", draws, low=2, repeat_name=True)
    if seed is not None:
        seed = integer("seed", seed, allowed="an integer or None", repeat_name=True)
    rr = spread(n0, s_t)
    if rr == 0.0:  # T = 0: theta_T = theta_0, not strictly closer
        return 0.0, 0.0
    if math.isinf(rr):
        return 0.0, 0.0
    from scipy import special

    rng = np.random.default_rng(seed)
    z = rng.standard_normal((draws, v.shape[0]))
    w = z @ chol.T
    norm2 = np.einsum("ij,ij->i", w, w)
    quad_form = np.einsum("ij,jk,ik->i", w, v, w)
    values = special.ndtr(-rr * norm2 / (2.0 * np.sqrt(quad_form)))
    estimate = float(np.mean(values))
    stderr = float(np.std(values, ddof=1) / math.sqrt(draws))
    return estimate, stderr


# --------------------------------------------------------------------------------------------
# symbolic forms
# --------------------------------------------------------------------------------------------


def improvement_probability_symbolic(*, dim: int = 1) -> sp.Expr:
    r"""Symbolic :math:`P(T)` as a function of the module symbol :data:`r`.

    .. math::

        P = \frac{1}{\pi}\operatorname{atan}\frac{2}{r}\quad (d = 1), \qquad
        P = \int_0^\infty \tfrac12\operatorname{erfc}\Bigl(\frac{r x}{2\sqrt2}\Bigr)
            \frac{x^{d-1} e^{-x^2/2}}{2^{d/2-1}\Gamma(d/2)}\, dx \quad (d > 1),

    the second an unevaluated :class:`sympy.Integral` (``.doit()`` or ``.evalf()`` after
    substituting a value for :data:`r`).

    Parameters
    ----------
    dim : int, optional
        Dimension :math:`d`, at least 1.

    Returns
    -------
    sympy.Expr
        Expression in :data:`r`.

    Examples
    --------
    >>> improvement_probability_symbolic()
    atan(2/r)/pi
    >>> round(float(improvement_probability_symbolic(dim=2).subs(r, 1).evalf()), 4)
    0.2764
    """
    dim = integer("dim", dim, low=1, repeat_name=True)
    if dim == 1:
        return sp.atan(2 / r) / sp.pi
    x = sp.Symbol("x", positive=True)
    d = sp.Integer(dim)
    phi = sp.erfc(r * x / (2 * sp.sqrt(2))) / 2
    chi_pdf = x ** (d - 1) * sp.exp(-(x**2) / 2) / (2 ** (d / 2 - 1) * sp.gamma(d / 2))
    return sp.Integral(phi * chi_pdf, (x, 0, sp.oo))


def improvement_limit_power(s: float | sp.Expr) -> sp.Expr:
    r"""Limit :math:`P(\infty)` for the schedule :math:`n_t = n_0 t^{1+s}` (no rounding).

    Then :math:`n_0 S_\infty = \zeta(1+s)`, so

    .. math::

        P(\infty) = \frac{1}{\pi}\arctan\frac{2}{\sqrt{\zeta(1+s)}}.

    Parameters
    ----------
    s : float or sympy.Expr
        Growth offset :math:`s > 0` (a number, or a SymPy expression such as
        :data:`modelcollapse.symbols.s`).

    Returns
    -------
    sympy.Expr
        The limit, exact when ``s`` is exact.

    Examples
    --------
    >>> improvement_limit_power(1)
    atan(2*sqrt(6)/pi)/pi
    >>> round(float(improvement_limit_power(1)), 4)
    0.3185
    """
    if isinstance(s, bool):
        raise TypeError(f"s must be a positive number or a SymPy expression, got s = {s!r}")
    try:
        s_expr = sp.sympify(s, strict=True)  # safe: strict, and s is a number or an Expr
    except (sp.SympifyError, TypeError):
        raise TypeError(
            f"s must be a positive number or a SymPy expression, got s = {s!r}"
        ) from None
    if not isinstance(s_expr, sp.Expr):
        raise TypeError(f"s must be a positive number or a SymPy expression, got s = {s!r}")
    if s_expr.is_number:
        if not s_expr.is_real or s_expr.is_positive is False or not s_expr.is_finite:
            raise ValueError(f"s must be a finite real number > 0, got s = {s!r}")
    elif s_expr.is_positive is False:
        raise ValueError(f"s must be > 0, got s = {s!r}")
    return sp.atan(2 / sp.sqrt(sp.zeta(1 + s_expr))) / sp.pi


# --------------------------------------------------------------------------------------------
# any family: closed form where it holds, else Monte Carlo of the exact walk
# --------------------------------------------------------------------------------------------

#: how a :class:`FamilyImprovement` was computed
IMPROVEMENT_METHODS = ("closed-form", "numeric", "monte-carlo")


def gaussian_location(law: Law, theta: sp.Symbol) -> bool:
    r"""True for a Normal law :math:`N(\theta, v(n))` whose variance does not depend on
    :math:`\theta` (the Gaussian mean): read off the law, never the family's name."""
    return (isinstance(law, Normal) and sp.simplify(law.loc - theta) == 0
            and theta not in law.var.free_symbols)


#: shapes above this are left to Monte Carlo by the numeric route (complex log-gamma
#: differences would lose digits)
_NUMERIC_MAX_SHAPE = 1e6
#: at most this many points in the characteristic-function sum
_NUMERIC_MAX_POINTS = 200_000


def _start_law(law: Law, theta: sp.Symbol, values: dict) -> Any:
    r"""The law of :math:`R_0 = \hat\theta_0/\theta^*` as a frozen ``scipy.stats`` law (one
    branch per law class), or None."""
    from scipy import stats

    def num(expr: sp.Expr) -> float:
        return float(sp.sympify(expr).subs(values).subs(theta, 1))  # safe: a law argument

    if isinstance(law, ScaledChiSquare):
        return stats.gamma(num(law.df) / 2, scale=2 * num(law.scale))
    if isinstance(law, ScaledGamma):
        return stats.gamma(num(law.shape), scale=num(law.scale))
    if isinstance(law, InverseGamma):
        return stats.invgamma(num(law.shape), scale=num(law.scale))
    if isinstance(law, ScaledBeta):
        return stats.beta(num(law.a), num(law.b), scale=num(law.scale))
    return None


def numeric_improvement(law: Law, theta: sp.Symbol, constants: dict,
                            sizes: Sequence[int]) -> float | None:
    r""":math:`P(T)` for a multiplicative law whose factor :math:`R_t = \hat\theta_t /
    \hat\theta_{t-1}` does not depend on :math:`\hat\theta_{t-1}` (None where that fails).

    :math:`\hat\theta_T/\theta^* = R_0\Pi` with :math:`\Pi = \prod_{t=1}^T R_t` independent of
    :math:`R_0`, and for :math:`R_0 = x` the walk improves iff :math:`\Pi` lies between 1 and
    :math:`2/x - 1`, so

    .. math::

        P(T) = E\bigl[\,\lvert F_\Pi(\max(2/R_0 - 1, 0)) - F_\Pi(1)\rvert\,\bigr],

    one-dimensional quadrature over the quantiles of :math:`R_0`. The law of
    :math:`L = \log\Pi` comes from its characteristic function
    :math:`E[\Pi^{iu}] = \prod_t C_t^{iu}\prod_i(\Gamma(x_i + k_i iu)/\Gamma(x_i))^{e_i}`
    (:meth:`Multiplicative.power_parts`) by the Gil-Pelaez inversion
    :math:`F_L(y) = \tfrac12 - \tfrac1\pi\int_0^\infty \mathrm{Im}(e^{-iuy}\varphi(u))/u\,du`
    (midpoint rule, step small enough that no mass of :math:`L` aliases).
    """
    from scipy import integrate, special

    from modelcollapse import symbols

    if not isinstance(law, Multiplicative):
        return None
    try:
        parts = law.power_parts(theta)
    except NotImplementedError:
        return None
    exprs = [parts.center, *(x for _, x, _ in parts.gammas)]
    if any(theta in sp.sympify(e).free_symbols for e in exprs):  # safe: law arguments
        return None
    n = symbols.n
    sizes_f = np.array([float(k) for k in sizes])
    subbed = [sp.sympify(e).subs(constants) for e in exprs]  # safe: law arguments
    if any(e.free_symbols - {n} for e in subbed):
        return None
    start = _start_law(law, theta, {**constants, n: sizes_f[0]})
    if start is None:
        return None
    T = len(sizes_f) - 1
    if T == 0:
        return 0.0  # theta_T = theta_0
    with np.errstate(all="ignore"):
        cols = [np.broadcast_to(np.asarray(sp.lambdify(n, e, "numpy")(sizes_f[1:]), float), (T,))
                for e in subbed]
    log_c, shapes = np.log(cols[0]), cols[1:]
    if not all(np.all(np.isfinite(v)) and np.all(v > 0) for v in (cols[0], *shapes)):
        return None
    if max(float(np.max(x)) for x in shapes) > _NUMERIC_MAX_SHAPE:
        return None
    signs = [(e, k) for e, _, k in parts.gammas]
    # mean and spread of L, and a half-width W that holds all its mass (left/right tails of a
    # log-gamma variable decay like exp(-x |y|))
    mean = float(np.sum(log_c)) + sum(e * k * float(np.sum(special.digamma(x)))
                                      for (e, k), x in zip(signs, shapes, strict=True))
    var = sum(e * float(np.sum(special.polygamma(1, x)))
              for (e, _), x in zip(signs, shapes, strict=True))
    if not var > 0:
        return None
    sd = math.sqrt(var)
    width = 40.0 * sd + 40.0 / min(float(np.min(x)) for x in shapes)

    def log_cf(u: np.ndarray) -> np.ndarray:
        iu = 1j * u
        out = iu * float(np.sum(log_c))
        for (e, k), x in zip(signs, shapes, strict=True):
            out = out + e * np.sum(special.loggamma(x[None, :] + k * iu[:, None])
                                   - special.gammaln(x)[None, :], axis=1)
        return out

    upper = 10.0 / sd
    while float(np.real(log_cf(np.array([upper])))[0]) - math.log(upper) > math.log(1e-17):
        upper *= 2.0
        if upper * 4 * width / math.pi > _NUMERIC_MAX_POINTS:
            return None
    h = math.pi / (2.0 * width)
    u = (np.arange(int(upper / h) + 1) + 0.5) * h
    phi_over_u = np.exp(log_cf(u)) / u

    def cdf_log(y: float) -> float:
        if y < mean - width:
            return 0.0
        if y > mean + width:
            return 1.0
        val = 0.5 - h / math.pi * float(np.sum(np.imag(np.exp(-1j * u * y) * phi_over_u)))
        return min(1.0, max(0.0, val))

    at_one = cdf_log(0.0)

    def improve_given(q: float) -> float:
        x = float(start.ppf(q))
        y = 2.0 / x - 1.0
        below = cdf_log(math.log(y)) if y > 0 else 0.0
        return abs(below - at_one)

    split = float(start.cdf(1.0))
    total = 0.0
    for a, b in ((0.0, split), (split, 1.0)):
        if b > a:
            part, _ = integrate.quad(improve_given, a, b, epsabs=1e-11, epsrel=1e-9, limit=200)
            total += part
    return total
