r"""Data models and statistics: what the brute-force check draws and how it refits.

A family declares the distribution of one data point (:class:`DataModel`, naming which
parameters or constants it reads) and each estimator the statistic it computes per parameter
(:class:`Statistic`). The brute-force engine (:mod:`modelcollapse.validation.sampling`) draws
:math:`n_t` points from the previous fit and applies the statistics, one registered function per
class; it exists to show that the exact one-step laws are exact.

>>> NormalData(variance="sigma2").reads
('sigma2',)
>>> SampleVariance(ddof=1)
SampleVariance(ddof=1)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DataModel", "NormalData", "BernoulliData", "PoissonData", "ExponentialData",
           "CategoricalData", "MultivariateNormalData", "Statistic", "SampleMean",
           "SampleVariance", "RateFromSum", "Frequencies", "SampleCovariance",
           "RegressionData", "LeastSquaresFit"]


@dataclass(frozen=True)
class DataModel:
    """The law of one data point given the current fit; fields name parameters/constants."""

    @property
    def reads(self) -> tuple[str, ...]:
        """The parameter and constant names the model reads."""
        return tuple(v for v in vars(self).values() if isinstance(v, str))


@dataclass(frozen=True)
class NormalData(DataModel):
    r""":math:`x \sim N(\mu, \sigma^2)`; ``mean=None`` means :math:`\mu = 0`."""

    variance: str
    mean: str | None = None


@dataclass(frozen=True)
class BernoulliData(DataModel):
    r""":math:`x \sim \mathrm{Bernoulli}(p)`."""

    p: str


@dataclass(frozen=True)
class PoissonData(DataModel):
    r""":math:`x \sim \mathrm{Poisson}(\lambda)`."""

    rate: str


@dataclass(frozen=True)
class ExponentialData(DataModel):
    r""":math:`x \sim \mathrm{Exponential}(\lambda)` (rate :math:`\lambda`)."""

    rate: str


@dataclass(frozen=True)
class CategoricalData(DataModel):
    r""":math:`x \sim \mathrm{Categorical}(p_1, \dots, p_K)` (cell indices)."""

    p: str


@dataclass(frozen=True)
class MultivariateNormalData(DataModel):
    r""":math:`x \sim N_d(\mu, \Sigma)`."""

    mean: str
    covariance: str


@dataclass(frozen=True)
class RegressionData(DataModel):
    r"""Inputs :math:`x \sim N(0, I_d)` and labels :math:`y = x^\top\beta + \varepsilon`,
    :math:`\varepsilon \sim N(0, \sigma^2)`: ``coefficients`` names :math:`\beta` (the
    previous fit labels the fresh inputs), ``noise`` :math:`\sigma^2`. A draw is an array
    ``(reps, n, d + 1)``: the inputs, then the label."""

    coefficients: str
    noise: str


@dataclass(frozen=True)
class Statistic:
    """How an estimator refits one parameter from the drawn data."""


@dataclass(frozen=True)
class SampleMean(Statistic):
    r""":math:`\bar x` (per coordinate for vectors)."""


@dataclass(frozen=True)
class SampleVariance(Statistic):
    r""":math:`\sum_i (x_i - \bar x)^2 / (n - \mathrm{ddof})`."""

    ddof: int = 1


@dataclass(frozen=True)
class RateFromSum(Statistic):
    r""":math:`(n - \mathrm{offset}) / \sum_i x_i` (exponential rate: 0 for the MLE, 1 for the
    unbiased estimator)."""

    offset: int = 0


@dataclass(frozen=True)
class Frequencies(Statistic):
    r"""Cell frequencies :math:`N_k / n` of categorical data."""


@dataclass(frozen=True)
class SampleCovariance(Statistic):
    r""":math:`\sum_i (x_i - \bar x)(x_i - \bar x)^\top / (n - \mathrm{ddof})`."""

    ddof: int = 1


@dataclass(frozen=True)
class LeastSquaresFit(Statistic):
    r"""Ordinary least squares :math:`\hat\beta = \arg\min_b \lVert y - Xb\rVert^2` on
    :class:`RegressionData`."""
