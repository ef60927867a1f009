r"""The vocabulary of exact one-step laws :math:`\hat\theta_t \mid \hat\theta_{t-1}, n_t`.

A family writes its step law with these few laws, their arguments being SymPy expressions in
the parameter symbols and the sample size :data:`modelcollapse.symbols.n`. Each engine
interprets the vocabulary once: the theory reads the moments below, the simulator draws from
the law, the PyMC model writes its likelihood. Adding a law touches one interpreter per engine.

* ``Normal``: :math:`N(\mathrm{loc}, \mathrm{var})` (Gaussian mean, asymptotic families);
* ``ScaledChiSquare``: :math:`\mathrm{scale}\cdot\chi^2_{df}` (Gaussian variance);
* ``InverseGamma``: :math:`\mathrm{scale}/G`, :math:`G\sim\Gamma(\mathrm{shape}, 1)`
  (exponential rate);
* ``BinomialMean``: :math:`\mathrm{Binomial}(n, p)/n` (Bernoulli);
* ``PoissonMean``: :math:`\mathrm{Poisson}(n\lambda)/n` (Poisson);
* ``MultinomialMean``: :math:`\mathrm{Multinomial}(n, p)/n` (categorical);
* ``Wishart``: :math:`\mathrm{scale}\cdot\Sigma^{1/2} W \Sigma^{1/2}`,
  :math:`W\sim\mathcal W_d(df, I)` (covariance).

Laws whose draw is the previous value times an independent factor (``multiplicative``) also
give the exact mean and variance of :math:`\log(\hat\theta_t/\hat\theta_{t-1})`, through
:math:`D(x) = \psi(x) - \log x` and the trigamma function.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
import sympy as sp

__all__ = [
    "Law",
    "Normal",
    "ScaledChiSquare",
    "InverseGamma",
    "BinomialMean",
    "PoissonMean",
    "MultinomialMean",
    "Wishart",
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
    few digits of it (SPEC's sums reach :math:`n_t = 10^{12}`). Smaller :math:`x` are shifted up
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


@dataclass(frozen=True, repr=False)
class _GammaType(Law):
    """Laws whose log is that of a Gamma variable: exact digamma/trigamma log-moments."""

    multiplicative: ClassVar[bool] = True

    def log_parts(self, theta: sp.Symbol) -> tuple[sp.Expr, sp.Expr, int]:
        r"""``(c, x, sign)`` with :math:`E\log(\hat\theta/\theta) = \log c + \mathrm{sign}\,D(x)`
        and :math:`\mathrm{Var}\log\hat\theta = \psi'(x)`; ``c`` does not depend on theta."""
        raise NotImplementedError

    def log_mean(self, theta: sp.Symbol) -> sp.Expr:
        c, x, sign = self.log_parts(theta)
        return sp.log(c) + sign * (sp.polygamma(0, x) - sp.log(x))

    def log_variance(self, theta: sp.Symbol) -> sp.Expr:
        return sp.polygamma(1, self.log_parts(theta)[1])


@dataclass(frozen=True, repr=False)
class ScaledChiSquare(_GammaType):
    r""":math:`\mathrm{scale}\cdot\chi^2_{df}` (a Gamma law with shape df/2, scale 2 scale)."""

    df: sp.Expr
    scale: sp.Expr
    name: ClassVar[str] = "scaled_chi_square"

    def mean(self) -> sp.Expr:
        return self.scale * self.df

    def variance(self) -> sp.Expr:
        return 2 * self.scale**2 * self.df

    def log_parts(self, theta: sp.Symbol) -> tuple[sp.Expr, sp.Expr, int]:
        return sp.cancel(self.scale * self.df / theta), self.df / 2, 1

    def latex(self) -> str:
        return rf"{sp.latex(self.scale)} \, \chi^{{2}}_{{{sp.latex(self.df)}}}"


@dataclass(frozen=True, repr=False)
class InverseGamma(_GammaType):
    r""":math:`\mathrm{scale}/G` with :math:`G \sim \mathrm{Gamma}(\mathrm{shape}, 1)`."""

    shape: sp.Expr
    scale: sp.Expr
    name: ClassVar[str] = "inverse_gamma"

    def mean(self) -> sp.Expr:
        return self.scale / (self.shape - 1)

    def variance(self) -> sp.Expr:
        return self.scale**2 / ((self.shape - 1) ** 2 * (self.shape - 2))

    def log_parts(self, theta: sp.Symbol) -> tuple[sp.Expr, sp.Expr, int]:
        return sp.cancel(self.scale / (self.shape * theta)), self.shape, -1

    def latex(self) -> str:
        return rf"\frac{{{sp.latex(self.scale)}}}{{\Gamma\left({sp.latex(self.shape)}, 1\right)}}"


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

    def log_det_mean(self, dim: int) -> sp.Expr:
        r""":math:`E\log\det(\hat\Sigma\Sigma^{-1}) = \sum_{i=1}^{d}\psi((df-i+1)/2)
        + d\log(2\,\mathrm{scale})`."""
        i = sp.Symbol("i", integer=True, positive=True)
        term = sp.polygamma(0, (self.df - i + 1) / 2)
        return sp.Sum(term, (i, 1, dim)).doit() + dim * sp.log(2 * self.scale)

    def log_det_variance(self, dim: int) -> sp.Expr:
        r""":math:`\mathrm{Var}\log\det\hat\Sigma = \sum_{i=1}^{d}\psi'((df-i+1)/2)`."""
        i = sp.Symbol("i", integer=True, positive=True)
        return sp.Sum(sp.polygamma(1, (self.df - i + 1) / 2), (i, 1, dim)).doit()

    def latex(self) -> str:
        return (
            rf"{sp.latex(self.scale)}\, \Sigma^{{1/2}} W \Sigma^{{1/2}},\ "
            rf"W \sim \mathcal{{W}}_{{d}}\left({sp.latex(self.df)}, I\right)"
        )
