r"""The vocabulary of exact one-step laws :math:`\hat\theta_t \mid \hat\theta_{t-1}, n_t`.

A family writes its step law with these few laws, their arguments being SymPy expressions in
the parameter symbols and the sample size :data:`modelcollapse.symbols.n`. Each engine
interprets the vocabulary once: the theory reads the moments below, the simulator draws from
the law, the PyMC model writes its likelihood. Adding a law touches one interpreter per engine.

* ``Normal``: :math:`N(\mathrm{loc}, \mathrm{var})` (Gaussian mean, asymptotic families);
* ``ScaledChiSquare``: :math:`\mathrm{scale}\cdot\chi^2_{df}` (Gaussian variance);
* ``InverseGamma``: :math:`\mathrm{scale}/G`, :math:`G\sim\Gamma(\mathrm{shape}, 1)`
  (exponential rate);
* ``ScaledGamma``: :math:`\mathrm{scale}\cdot G`, :math:`G\sim\Gamma(\mathrm{shape}, 1)`
  (a Gamma scale with known shape, a Laplace scale);
* ``ScaledBeta``: :math:`\mathrm{scale}\cdot B`, :math:`B\sim\mathrm{Beta}(a, b)`
  (the maximum of a uniform sample);
* ``BinomialMean``: :math:`\mathrm{Binomial}(n, p)/n` (Bernoulli);
* ``PoissonMean``: :math:`\mathrm{Poisson}(n\lambda)/n` (Poisson);
* ``MultinomialMean``: :math:`\mathrm{Multinomial}(n, p)/n` (categorical);
* ``Wishart``: :math:`\mathrm{scale}\cdot\Sigma^{1/2} W \Sigma^{1/2}`,
  :math:`W\sim\mathcal W_d(df, I)` (covariance);
* ``LeastSquares``: :math:`\beta + (X^\top X)^{-1}X^\top\varepsilon`, :math:`X` an
  :math:`n\times d` standard normal design (linear-regression coefficients).

A law may use the dimension symbol :data:`DIMENSION` (:math:`d`); :meth:`Law.at_dimension`
sets it, and :meth:`Law.smallest_size` is the smallest :math:`n` the law exists for.

Laws whose draw is the previous value times an independent factor (``multiplicative``) also
give the exact mean and variance of :math:`\log(\hat\theta_t/\hat\theta_{t-1})`, through
:math:`D(x) = \psi(x) - \log x` and the trigamma function (:meth:`Multiplicative.log_parts`).

Estimator bias is one transformation of a law (:meth:`Law.scaled` for a positive parameter,
:meth:`Law.shifted` for a location), so every engine sees the biased law and none applies the
bias itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import ClassVar

import numpy as np
import sympy as sp

__all__ = [
    "Law",
    "Normal",
    "ScaledChiSquare",
    "InverseGamma",
    "ScaledGamma",
    "ScaledBeta",
    "Multiplicative",
    "LogParts",
    "PowerParts",
    "log_gamma_ratio",
    "BinomialMean",
    "PoissonMean",
    "MultinomialMean",
    "Wishart",
    "LeastSquares",
    "DIMENSION",
    "digamma_minus_log",
    "trigamma",
]


#: below this argument the recurrences psi(x) = psi(x + 1) - 1/x and
#: psi'(x) = psi'(x + 1) + 1/x^2 shift x up before the asymptotic series are used; from 20 on
#: the first omitted series term is below 1e-17 relative
_SERIES_FROM = 20.0


def _shift_up(x: np.ndarray, power: int) -> tuple[np.ndarray, np.ndarray]:
    """``(y, sum_j (x + j)^-power)`` with ``y = x + k >= _SERIES_FROM`` element-wise."""
    y = x.copy()
    acc = np.zeros_like(x)
    low = y < _SERIES_FROM
    while low.any():
        acc[low] += y[low] ** -power
        y[low] += 1.0
        low = y < _SERIES_FROM
    return y, acc


def digamma_minus_log(x: np.ndarray | float) -> np.ndarray:
    r""":math:`D(x) = \psi(x) - \log x`, accurate also where both terms are huge.

    For large :math:`x`, :math:`D(x) = -\frac{1}{2x} - \frac{1}{12x^2} + \frac{1}{120x^4} -
    \dots`; subtracting two numbers near :math:`\log 10^{12} \approx 27.6` would keep only a
    few digits of it (the sums reach :math:`n_t = 10^{12}`). Smaller :math:`x` are shifted up
    with :math:`\psi(x) = \psi(x + 1) - 1/x`. Written with numpy alone so that the command line
    starts without scipy (0.2 s); the tests check it against ``scipy.special.digamma``.

    >>> round(float(digamma_minus_log(1.0)), 14)  # psi(1) = -Euler gamma
    -0.57721566490153
    >>> float(digamma_minus_log(5e11))
    -1e-12
    """
    x = np.asarray(x, dtype=float)
    if np.any(~(x > 0)):
        raise ValueError(f"digamma_minus_log needs x > 0, got min {np.min(x)}")
    y, acc = _shift_up(x, 1)
    inv2 = 1.0 / (y * y)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    out = -0.5 / y - series + np.log1p((y - x) / x) - acc
    return out if out.ndim else out[()]


def trigamma(x: np.ndarray | float) -> np.ndarray:
    r""":math:`\psi'(x)`, numpy only (as :func:`digamma_minus_log`):
    :math:`\psi'(x) = \frac1x + \frac1{2x^2} + \frac1{6x^3} - \frac1{30x^5} + \frac1{42x^7}
    - \frac1{30x^9} + \frac5{66x^{11}}` after shifting :math:`x` up with
    :math:`\psi'(x) = \psi'(x + 1) + 1/x^2`.

    >>> round(float(trigamma(1.0)), 15)  # pi^2 / 6
    1.644934066848226
    """
    x = np.asarray(x, dtype=float)
    if np.any(~(x > 0)):
        raise ValueError(f"trigamma needs x > 0, got min {np.min(x)}")
    y, acc = _shift_up(x, 2)
    inv = 1.0 / y
    inv2 = inv * inv
    series = inv + inv2 * (0.5 + inv * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42 - inv2 * (
        1 / 30 - inv2 * 5 / 66)))))
    out = series + acc
    return out if out.ndim else out[()]


#: from this argument on, G_a(x) is summed from its asymptotic series (the first omitted
#: term, of order a / (1680 x^7), is below 1e-17 relative there)
_STIRLING_FROM = 100.0


def log_gamma_ratio(x: np.ndarray | float, a: float) -> np.ndarray:
    r""":math:`G_a(x) = \log\Gamma(x + a) - \log\Gamma(x) - a\log x`, accurate where both
    log-gamma values are huge (the sums reach :math:`n_t = 10^{12}`, where the difference of
    two numbers near :math:`2.6\cdot 10^{13}` would keep three digits). For large :math:`x`,
    from Stirling's series,

    .. math::

        G_a(x) = (x + a - \tfrac12)\log(1 + a/x) - a + \tfrac{1}{12}\Big(\frac{1}{x + a}
        - \frac1x\Big) - \tfrac{1}{360}\Big(\frac{1}{(x + a)^3} - \frac1{x^3}\Big)
        + \tfrac{1}{1260}\Big(\frac{1}{(x + a)^5} - \frac1{x^5}\Big);

    below :data:`_STIRLING_FROM` directly. Needs :math:`x > 0` and :math:`x + a > 0`.

    >>> round(float(log_gamma_ratio(5.0, 2.0)), 12)  # log(5*6) - 2 log 5
    0.182321556794
    >>> float(log_gamma_ratio(1e12, 0.5))  # -1/(8x) to leading order
    -1.25e-13
    """
    x = np.asarray(x, dtype=float)
    if np.any(~(x > 0)) or np.any(~(x + a > 0)):
        raise ValueError(f"log_gamma_ratio needs x > 0 and x + a > 0, got min x {np.min(x)}, "
                         f"a = {a}")
    big = x >= _STIRLING_FROM
    out = np.empty_like(x)
    xb = x[big]
    y, u = xb + a, a / xb
    # (x + a - 1/2) log(1 + u) - a = x (log(1 + u) - u) + (a - 1/2) log(1 + u), the first
    # bracket by its series where u is small (it is -u^2/2 + ..., lost to rounding otherwise)
    small = np.abs(u) < 1e-3
    bracket = np.where(small, u * u * (-1 / 2 + u * (1 / 3 + u * (-1 / 4 + u * (1 / 5 - u / 6)))),
                       np.log1p(u) - u)
    out[big] = (xb * bracket + (a - 0.5) * np.log1p(u) + (1 / y - 1 / xb) / 12
                - (1 / y**3 - 1 / xb**3) / 360 + (1 / y**5 - 1 / xb**5) / 1260)
    xs = x[~big]
    lgamma = np.vectorize(math.lgamma, otypes=[float])
    out[~big] = lgamma(xs + a) - lgamma(xs) - a * np.log(xs) if xs.size else xs
    return out if out.ndim else out[()]


#: the dimension d of a vector parameter, where a law depends on it (least squares)
DIMENSION = sp.Symbol("d", integer=True, positive=True)


@dataclass(frozen=True, repr=False)
class Law:
    """Base of the vocabulary: symbolic arguments, mean and variance of the draw."""

    name: ClassVar[str]
    #: the draw is the previous value times an independent factor, so log-moments add up
    multiplicative: ClassVar[bool] = False

    def mean(self) -> sp.Expr:
        raise NotImplementedError

    def variance(self) -> sp.Expr:
        raise NotImplementedError

    def args(self) -> dict[str, sp.Expr]:
        """The law's arguments by name (what the engines read)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def latex(self) -> str:
        """The law as LaTeX, e.g. ``\\frac{\\sigma^{2}}{n - 1} \\chi^{2}_{n - 1}``."""
        raise NotImplementedError

    def at_dimension(self, dim: int) -> Law:
        """The law with the dimension symbol :data:`DIMENSION` set to ``dim`` (itself where
        no argument uses it)."""
        args = self.args()
        if not any(isinstance(v, sp.Basic) and v.has(DIMENSION) for v in args.values()):
            return self
        return replace(self, **{k: v.subs(DIMENSION, dim) if isinstance(v, sp.Basic) else v
                                for k, v in args.items()})

    def smallest_size(self, dim: int) -> int:
        """The smallest sample size for which the law (and its variance) exists in dimension
        ``dim``; 1 unless a law says otherwise."""
        return 1

    def pooled_variance(self, total: sp.Expr) -> sp.Expr | None:
        r"""Accumulate workflow: the variance of the step :math:`\hat\theta_t -
        \hat\theta_{t-1}` when this generation's ``size`` points are pooled with the earlier
        ones into ``total`` points, where the pooled refit is a martingale whose steps have a
        variance free of :math:`\theta`; None where the law gives no such closed form (the
        pooled sample means of :mod:`modelcollapse.theory.recursion` have their own)."""
        return None

    def scaled(self, factor: sp.Expr) -> Law:
        r"""The law of :math:`c\,\hat\theta` (bias of a positive parameter)."""
        raise ValueError(f"the law {type(self).__name__} cannot be scaled by a bias factor")

    def shifted(self, amount: sp.Expr) -> Law:
        r"""The law of :math:`\hat\theta + d` (bias of a location parameter)."""
        raise ValueError(f"the law {type(self).__name__} cannot be shifted by a bias")

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={sp.sstr(v)}" for k, v in self.args().items())
        return f"{type(self).__name__}({inner})"

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True, repr=False)
class Normal(Law):
    r""":math:`N(\mathrm{loc}, \mathrm{var})`."""

    loc: sp.Expr
    var: sp.Expr
    name: ClassVar[str] = "normal"

    def mean(self) -> sp.Expr:
        return self.loc

    def variance(self) -> sp.Expr:
        return self.var

    def latex(self) -> str:
        return rf"\mathcal{{N}}\left({sp.latex(self.loc)}, {sp.latex(self.var)}\right)"

    def scaled(self, factor: sp.Expr) -> Normal:
        return Normal(factor * self.loc, factor**2 * self.var)

    def shifted(self, amount: sp.Expr) -> Normal:
        return Normal(self.loc + amount, self.var)


@dataclass(frozen=True)
class LogParts:
    r"""Exact log-moments of one step of a multiplicative law, :math:`R = \hat\theta/\theta`:

    .. math::

        E\log R = \log C + \sum_i s_i D(x_i), \qquad
        \mathrm{Var}\log R = \sum_j s'_j \psi'(x'_j),

    with :math:`D(x) = \psi(x) - \log x` (kept apart from :math:`\log C` so that both stay
    accurate when :math:`x` is huge). ``center`` is :math:`C`, ``drift`` the pairs
    :math:`(s_i, x_i)`, ``spread`` the pairs :math:`(s'_j, x'_j)`.
    """

    center: sp.Expr
    drift: tuple[tuple[int, sp.Expr], ...]
    spread: tuple[tuple[int, sp.Expr], ...]

    def mean(self) -> sp.Expr:
        """:math:`E\\log R` with the logarithms gathered into one (for readable formulas)."""
        scale = sp.Mul(*(x ** (-s) for s, x in self.drift))
        return sp.log(sp.factor(self.center * scale)) + sum(
            (s * sp.polygamma(0, x) for s, x in self.drift), sp.Integer(0))

    def variance(self) -> sp.Expr:
        return sum((s * sp.polygamma(1, x) for s, x in self.spread), sp.Integer(0))


@dataclass(frozen=True)
class PowerParts:
    r"""Exact moments of any real order :math:`r` of one step of a multiplicative law,
    :math:`R = \hat\theta/\theta`:

    .. math::

        E[R^r] = C^r \prod_i \left(\frac{\Gamma(x_i + k_i r)}{\Gamma(x_i)}\right)^{e_i},

    finite iff every :math:`x_i + k_i r > 0`. ``center`` is :math:`C`, ``gammas`` the triples
    :math:`(e_i, x_i, k_i)`. E.g. :math:`E[(\chi^2_k/k)^r] = (2/k)^r\,\Gamma(k/2 + r)/
    \Gamma(k/2)`.
    """

    center: sp.Expr
    gammas: tuple[tuple[int, sp.Expr, int], ...]

    def moment(self, r: sp.Expr) -> sp.Expr:
        """:math:`E[R^r]`, symbolic."""
        out = self.center**r
        for e, x, k in self.gammas:
            out *= (sp.gamma(x + k * r) / sp.gamma(x)) ** e
        return out

    def power_center(self) -> sp.Expr:
        r""":math:`C\prod_i x_i^{e_i k_i}`: :math:`\log E[R^r] = r\log(C\prod_i x_i^{e_i k_i})
        + \sum_i e_i\,G_{k_i r}(x_i)` with :math:`G_a(x) = \log\Gamma(x + a) -
        \log\Gamma(x) - a\log x` small for large :math:`x` (:func:`log_gamma_ratio`)."""
        return sp.factor(sp.cancel(self.center * sp.Mul(*(x ** (e * k)
                                                            for e, x, k in self.gammas))))


@dataclass(frozen=True, repr=False)
class Multiplicative(Law):
    """Laws whose draw is the previous value times an independent positive factor: their
    log-moments are exact digamma/trigamma forms (:meth:`log_parts`), and a bias factor
    multiplies their ``scale``."""

    multiplicative: ClassVar[bool] = True

    def log_parts(self, theta: sp.Symbol) -> LogParts:
        raise NotImplementedError

    def power_parts(self, theta: sp.Symbol) -> PowerParts:
        r"""Moments of any real order of :math:`\hat\theta/\theta` (:class:`PowerParts`)."""
        raise NotImplementedError

    def log_mean(self, theta: sp.Symbol) -> sp.Expr:
        r""":math:`E\log(\hat\theta/\theta)`, symbolic."""
        return self.log_parts(theta).mean()

    def log_variance(self, theta: sp.Symbol) -> sp.Expr:
        r""":math:`\mathrm{Var}\log\hat\theta`, symbolic."""
        return self.log_parts(theta).variance()

    def scaled(self, factor: sp.Expr) -> Law:
        return replace(self, scale=factor * self.scale)



@dataclass(frozen=True, repr=False)
class ScaledChiSquare(Multiplicative):
    r""":math:`\mathrm{scale}\cdot\chi^2_{df}` (a Gamma law with shape df/2, scale 2 scale)."""

    df: sp.Expr
    scale: sp.Expr
    name: ClassVar[str] = "scaled_chi_square"

    def mean(self) -> sp.Expr:
        return self.scale * self.df

    def variance(self) -> sp.Expr:
        return 2 * self.scale**2 * self.df

    def log_parts(self, theta: sp.Symbol) -> LogParts:
        x = self.df / 2
        return LogParts(sp.cancel(self.scale * self.df / theta), ((1, x),), ((1, x),))

    def power_parts(self, theta: sp.Symbol) -> PowerParts:
        return PowerParts(sp.cancel(2 * self.scale / theta), ((1, self.df / 2, 1),))

    def latex(self) -> str:
        return rf"{sp.latex(self.scale)} \, \chi^{{2}}_{{{sp.latex(self.df)}}}"


@dataclass(frozen=True, repr=False)
class InverseGamma(Multiplicative):
    r""":math:`\mathrm{scale}/G` with :math:`G \sim \mathrm{Gamma}(\mathrm{shape}, 1)`."""

    shape: sp.Expr
    scale: sp.Expr
    name: ClassVar[str] = "inverse_gamma"

    def mean(self) -> sp.Expr:
        return self.scale / (self.shape - 1)

    def variance(self) -> sp.Expr:
        return self.scale**2 / ((self.shape - 1) ** 2 * (self.shape - 2))

    def log_parts(self, theta: sp.Symbol) -> LogParts:
        x = self.shape
        return LogParts(sp.cancel(self.scale / (self.shape * theta)), ((-1, x),), ((1, x),))

    def power_parts(self, theta: sp.Symbol) -> PowerParts:
        return PowerParts(sp.cancel(self.scale / theta), ((1, self.shape, -1),))

    def latex(self) -> str:
        return rf"\frac{{{sp.latex(self.scale)}}}{{\Gamma\left({sp.latex(self.shape)}, 1\right)}}"


@dataclass(frozen=True, repr=False)
class ScaledGamma(Multiplicative):
    r""":math:`\mathrm{scale}\cdot G` with :math:`G \sim \mathrm{Gamma}(\mathrm{shape}, 1)`.

    The MLE of a Gamma scale with known shape :math:`k` is :math:`\theta\,G/(nk)`,
    :math:`G\sim\mathrm{Gamma}(nk, 1)`; that of a Laplace scale :math:`\theta\,G/n`,
    :math:`G\sim\mathrm{Gamma}(n, 1)`.
    """

    shape: sp.Expr
    scale: sp.Expr
    name: ClassVar[str] = "scaled_gamma"

    def mean(self) -> sp.Expr:
        return self.scale * self.shape

    def variance(self) -> sp.Expr:
        return self.scale**2 * self.shape

    def log_parts(self, theta: sp.Symbol) -> LogParts:
        x = self.shape
        return LogParts(sp.cancel(self.scale * self.shape / theta), ((1, x),), ((1, x),))

    def power_parts(self, theta: sp.Symbol) -> PowerParts:
        return PowerParts(sp.cancel(self.scale / theta), ((1, self.shape, 1),))

    def latex(self) -> str:
        return rf"{sp.latex(self.scale)} \, \Gamma\left({sp.latex(self.shape)}, 1\right)"


@dataclass(frozen=True, repr=False)
class ScaledBeta(Multiplicative):
    r""":math:`\mathrm{scale}\cdot B` with :math:`B \sim \mathrm{Beta}(a, b)`.

    The maximum of :math:`n` uniform draws on :math:`(0, \theta)` is :math:`\theta B`,
    :math:`B\sim\mathrm{Beta}(n, 1)`. :math:`E\log B = \psi(a) - \psi(a + b)`,
    :math:`\mathrm{Var}\log B = \psi'(a) - \psi'(a + b)`.
    """

    a: sp.Expr
    b: sp.Expr
    scale: sp.Expr
    name: ClassVar[str] = "scaled_beta"

    def mean(self) -> sp.Expr:
        return self.scale * self.a / (self.a + self.b)

    def variance(self) -> sp.Expr:
        total = self.a + self.b
        return self.scale**2 * self.a * self.b / (total**2 * (total + 1))

    def log_parts(self, theta: sp.Symbol) -> LogParts:
        total = self.a + self.b
        center = sp.cancel(self.scale * self.a / (total * theta))
        pairs = ((1, self.a), (-1, total))
        return LogParts(center, pairs, pairs)

    def power_parts(self, theta: sp.Symbol) -> PowerParts:
        return PowerParts(sp.cancel(self.scale / theta),
                          ((1, self.a, 1), (-1, self.a + self.b, 1)))

    def latex(self) -> str:
        return (rf"{sp.latex(self.scale)} \, \mathrm{{Beta}}\left({sp.latex(self.a)}, "
                rf"{sp.latex(self.b)}\right)")


@dataclass(frozen=True, repr=False)
class BinomialMean(Law):
    r""":math:`\mathrm{Binomial}(n, p)/n`."""

    size: sp.Expr
    p: sp.Expr
    name: ClassVar[str] = "binomial_mean"

    def mean(self) -> sp.Expr:
        return self.p

    def variance(self) -> sp.Expr:
        return self.p * (1 - self.p) / self.size

    def latex(self) -> str:
        s = sp.latex(self.size)
        return rf"\frac{{\mathrm{{Binomial}}\left({s}, {sp.latex(self.p)}\right)}}{{{s}}}"


@dataclass(frozen=True, repr=False)
class PoissonMean(Law):
    r""":math:`\mathrm{Poisson}(n\lambda)/n`."""

    size: sp.Expr
    rate: sp.Expr
    name: ClassVar[str] = "poisson_mean"

    def mean(self) -> sp.Expr:
        return self.rate

    def variance(self) -> sp.Expr:
        return self.rate / self.size

    def latex(self) -> str:
        s = sp.latex(self.size)
        return rf"\frac{{\mathrm{{Poisson}}\left({s} {sp.latex(self.rate)}\right)}}{{{s}}}"

    def scaled(self, factor: sp.Expr) -> PoissonMean:
        r"""Bias of a count rate is thinning (the counts keep their integer support):
        :math:`\mathrm{Poisson}(n c \lambda)/n`, mean :math:`c\lambda`, variance
        :math:`c\lambda/n`."""
        return PoissonMean(self.size, factor * self.rate)


@dataclass(frozen=True, repr=False)
class MultinomialMean(Law):
    r""":math:`\mathrm{Multinomial}(n, p)/n`; each cell's marginal is ``BinomialMean``."""

    size: sp.Expr
    p: sp.Expr  # a symbol standing for one cell; marginal() gives the cell's law
    name: ClassVar[str] = "multinomial_mean"

    def marginal(self) -> BinomialMean:
        return BinomialMean(self.size, self.p)

    def mean(self) -> sp.Expr:
        return self.marginal().mean()

    def variance(self) -> sp.Expr:
        return self.marginal().variance()

    def latex(self) -> str:
        s = sp.latex(self.size)
        return rf"\frac{{\mathrm{{Multinomial}}\left({s}, {sp.latex(self.p)}\right)}}{{{s}}}"


@dataclass(frozen=True, repr=False)
class Wishart(Law):
    r""":math:`\mathrm{scale}\cdot\Sigma^{1/2} W \Sigma^{1/2}`, :math:`W \sim W_d(df, I)`
    (drawn by the Bartlett decomposition).

    ``sigma`` stands for one diagonal entry :math:`\Sigma_{ii}`: the diagonal of a Wishart
    matrix is a scaled chi-square, :meth:`marginal`; :meth:`log_det_parts` gives the exact
    moments of :math:`\log\det`.
    """

    df: sp.Expr
    scale: sp.Expr
    sigma: sp.Expr
    name: ClassVar[str] = "wishart"

    def marginal(self) -> ScaledChiSquare:
        return ScaledChiSquare(self.df, self.scale * self.sigma)

    def mean(self) -> sp.Expr:
        return self.marginal().mean()

    def variance(self) -> sp.Expr:
        return self.marginal().variance()

    def scaled(self, factor: sp.Expr) -> Wishart:
        return replace(self, scale=factor * self.scale)

    def log_det_parts(self, dim: int) -> LogParts:
        r""":math:`\log\det(\hat\Sigma\Sigma^{-1}) = d\log\mathrm{scale} + \sum_{i=1}^{d}
        \log\chi^2_{df-i+1}` (Bartlett: independent terms), as :class:`LogParts`."""
        dfs = [self.df - i for i in range(dim)]
        center = sp.Mul(*(self.scale * k for k in dfs))
        pairs = tuple((1, k / 2) for k in dfs)
        return LogParts(center, pairs, pairs)

    def log_det_mean(self, dim: int) -> sp.Expr:
        r""":math:`E\log\det(\hat\Sigma\Sigma^{-1}) = \sum_{i=1}^{d}\psi((df-i+1)/2)
        + d\log(2\,\mathrm{scale})`."""
        return self.log_det_parts(dim).mean()

    def log_det_variance(self, dim: int) -> sp.Expr:
        r""":math:`\mathrm{Var}\log\det\hat\Sigma = \sum_{i=1}^{d}\psi'((df-i+1)/2)`."""
        return self.log_det_parts(dim).variance()

    def latex(self) -> str:
        return (
            rf"{sp.latex(self.scale)}\, \Sigma^{{1/2}} W \Sigma^{{1/2}},\ "
            rf"W \sim \mathcal{{W}}_{{d}}\left({sp.latex(self.df)}, I\right)"
        )


@dataclass(frozen=True, repr=False)
class LeastSquares(Law):
    r"""Ordinary least squares on :math:`n` fresh inputs labelled by the previous fit:
    :math:`\hat\beta = \mathrm{loc} + (X^\top X)^{-1}X^\top\varepsilon`, the :math:`n\times d`
    design :math:`X` standard normal, :math:`\varepsilon\sim N(0, \mathrm{noise}\,I_n)`.

    Given :math:`X` the step is :math:`N(0, \mathrm{noise}\,(X^\top X)^{-1})` with
    :math:`X^\top X \sim \mathcal W_d(n, I)`, and :math:`E(X^\top X)^{-1} = I/(n - d - 1)`,
    so each coefficient has mean ``loc`` and variance
    :math:`\mathrm{noise}/(n - d - 1)` (``loc`` stands for one coefficient :math:`\beta_i`;
    the coefficients are uncorrelated). Needs :math:`n > d + 1`.

    >>> LeastSquares(sp.Symbol("b"), 1, sp.Symbol("n"), DIMENSION).at_dimension(2).variance()
    1/(n - 3)
    """

    loc: sp.Expr
    noise: sp.Expr
    size: sp.Expr
    dim: sp.Expr
    name: ClassVar[str] = "least_squares"

    def mean(self) -> sp.Expr:
        return self.loc

    def variance(self) -> sp.Expr:
        return self.noise / (self.size - self.dim - 1)

    def shifted(self, amount: sp.Expr) -> LeastSquares:
        return replace(self, loc=self.loc + amount)

    def smallest_size(self, dim: int) -> int:
        return int(dim) + 2

    def pooled_variance(self, total: sp.Expr) -> sp.Expr:
        r"""Pooled OLS on all :math:`N_t` points: :math:`G_t\hat\beta_t = G_{t-1}\hat\beta_{t-1}
        + X_t^\top y_t` with :math:`G_t = \sum_{s \le t} X_s^\top X_s`, so
        :math:`\hat\beta_t = \hat\beta_{t-1} + G_t^{-1}X_t^\top\varepsilon_t`, uncorrelated
        steps of covariance :math:`\sigma^2 E[G_t^{-1}X_t^\top X_t G_t^{-1}]`. The
        :math:`N_t` rows of :math:`G_t` are exchangeable, so the :math:`n_t` of generation
        :math:`t` carry the share :math:`n_t/N_t` of :math:`E\,\mathrm{tr}(G_t^{-1}) =
        d/(N_t - d - 1)`: per coefficient :math:`\sigma^2 n_t/(N_t(N_t - d - 1))`.

        >>> n, N = sp.symbols("n N")
        >>> LeastSquares(0, 1, n, DIMENSION).at_dimension(2).pooled_variance(N)
        n/(N*(N - 3))
        """
        return self.noise * self.size / (total * (total - self.dim - 1))

    def latex(self) -> str:
        return (rf"{sp.latex(self.loc)} + (X^\top X)^{{-1}} X^\top \varepsilon,\ "
                rf"X^\top X \sim \mathcal{{W}}_{{{sp.latex(self.dim)}}}\left("
                rf"{sp.latex(self.size)}, I\right),\ \varepsilon \sim \mathcal{{N}}"
                rf"\left(0, {sp.latex(self.noise)}\right)")
