r"""Real tabular data: recursive refitting of a regression model on its own synthetic responses.

The study (a general family in the asymptotic regime) takes a real table,
standardises its covariates (full-table mean and standard deviation, ``ddof=0``), adds an
intercept column and fits the full table once; that fit is :math:`\theta^*`. Then, with
replications batched in numpy (no per-replication library calls),

.. math::

    x_{t,1..n_t} \overset{iid}{\sim} \hat F_N \ (\text{rows of the table}), \qquad
    y_{t,i} \sim P_{\hat\theta_{t-1}}(\,\cdot \mid x_{t,i}), \qquad
    \hat\theta_t = \text{MLE}(x_t, y_t),

with ``n_t`` from a :class:`~modelcollapse.schedules.Schedule`. Two models are used:

* **logistic regression** for a binary target (scikit-learn's breast-cancer table), fitted by
  batched Newton/IRLS (:func:`fit_logistic`);
* **linear regression** with Gaussian noise for a continuous target (the diabetes table),
  fitted by batched least squares (:func:`fit_linear`); the noise variance is re-estimated
  without bias at every generation, :math:`\hat\sigma^2_t = \mathrm{RSS}/(n_t - d)`, and the
  synthetic responses of generation ``t`` use :math:`\hat\sigma^2_{t-1}`.

Theory (asymptotic): with the per-observation Fisher information at
:math:`\theta^*` under resampled covariates, :math:`I = N^{-1}\sum_i w_i z_i z_i^\top`
(:math:`w_i = p_i(1-p_i)` for the logistic model, :math:`w_i = 1/\sigma^2` for the linear one with
:math:`\sigma^2` the unbiased full-table estimate),

.. math::

    E\,\|\hat\theta_T - \theta^*\|^2 \approx \operatorname{tr}(I^{-1})\,(1/n_0 + S_T),
    \qquad S_T = \sum_{t=1}^T 1/n_t .

Generation 0 (two variants, both reported)
-------------------------------------------
``"synthetic"``
    Generation 0 draws its responses from :math:`\theta^*` too, i.e. the fitted full-table model
    is treated as the truth. The theory above is then exactly the asymptotic one. For the linear
    model it is even exact up to the finite-``n`` design correction: since the unbiased noise
    estimate is a martingale, :math:`E\|\hat\beta_T - \beta^*\|^2 = \sigma^2 \sum_{t=0}^T
    E\operatorname{tr}(X_t^\top X_t)^{-1}`, about :math:`\operatorname{tr}(I^{-1})/(n_t - d - 1)`
    per generation.
``"real"``
    Generation 0 resamples ``n0`` rows *with their real responses*. The real responses do not come
    from the model, so :math:`\hat\theta_0` has the sandwich covariance
    :math:`V/n_0`, :math:`V = A^{-1} B A^{-1}`, :math:`A = N^{-1}\sum_i w_i z_i z_i^\top`,
    :math:`B = N^{-1}\sum_i r_i^2 z_i z_i^\top` (:math:`r_i` the full-table residual; for the
    linear model :math:`A` is taken without the :math:`1/\sigma^2` weight), around the pseudo-true
    :math:`\theta^*` (the full-table fit is exactly the pseudo-true value of the resampling
    distribution). The theory curve is :math:`\operatorname{tr}(V)/n_0 +
    \operatorname{tr}(I^{-1}) S_T`. Consequence: its generation-0 point measures model
    misspecification, and the later increments are only approximately those of the synthetic
    variant (the noise level carried forward is the resampled real one, about
    :math:`(N-d)/N` of :math:`\sigma^2` for the linear model).

Exact sufficient-statistic reduction
------------------------------------
Resampling ``n_t`` rows from ``N`` table rows only matters through the multinomial counts
:math:`C_i` of each row. The logistic likelihood depends on the data only through
:math:`(C_i, K_i)`, :math:`K_i \sim \mathrm{Binomial}(C_i, p_i)` the number of ones among the
copies of row ``i``; the linear fit only through :math:`C_i`, the group sums
:math:`\sum y = C_i\mu_i + \sigma\sqrt{C_i}\,\varepsilon_i` and the within-group sum of squares
:math:`\sigma^2\chi^2_{n_t - m}` (``m`` rows drawn at least once). Drawing those from their exact
joint law gives estimates with exactly the law of the row-by-row recursion, in arrays of shape
``(reps, N)`` whatever ``n_t`` is (the schedule ``n0*t**1.5`` reaches 70 711 rows at ``t = 50``).
The fitters also take raw ``(reps, n, d)`` arrays; weighted and expanded fits agree (tested).

Logistic regression and separation
----------------------------------
With finite ``n`` the logistic MLE is infinite with positive probability (a separated sample), so
:math:`E\|\hat\theta_T - \theta^*\|^2` is strictly infinite and the asymptotic curve describes the
bulk of the distribution. :func:`fit_logistic` with ``ridge=0`` raises :class:`SeparationError`
naming the replications. The study uses a tiny ridge penalty :math:`\lambda\|\theta\|^2/2`,
``LOGISTIC_RIDGE = 1e-6`` on the summed log-likelihood (intercept included): it moves a finite MLE
by :math:`O(\lambda/n)` relative (about :math:`10^{-8}`, far below Monte Carlo error) and keeps a
separated sample's fit finite so the replication continues. Such fits are counted as
*degenerate*: a fitted probability of some table row within :math:`10^{-13}` of 0 or 1
(:math:`|z_i^\top\theta| >` ``DEGENERATE_ETA``), "a probability fixes at 0/1". Under a
constant schedule with ``n0 = 200`` the breast-cancer walk reaches this state in some
replications within about ten generations (collapse: the classifier becomes deterministic, and
a separated model only generates separated samples); its errors then leave the asymptotic curve
by orders of magnitude, which is the finding, not a failure. Even with growing schedules the
logistic mean error sits above the asymptotic curve (about 1.25 times at generation 0, up to
about 2 times later: finite-``n`` MLE inflation, heavier tails as the walk visits parameters
with smaller Fisher information), while the diabetes (linear) errors follow it.

The breast-cancer covariates are four weakly collinear "mean" features (texture, smoothness,
symmetry, fractal dimension; :data:`BREAST_CANCER_FEATURES`): with all 30 features the full
table is linearly separable (no finite :math:`\theta^*`), and strongly predictive subsets separate
samples of 200 rows within a generation or two.

Examples
--------
>>> res = run_realdata(dataset="diabetes", schedules=("n0*t**1.5",), T=3, reps=20, seed=1)
>>> res.mse.shape, res.kind
((2, 1, 4), 'linear')
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import expit

from modelcollapse.arguments import choice, integer, real
from modelcollapse.jsonable import jsonable
from modelcollapse.schedules import Schedule
from modelcollapse.studies.realdata.fitters import SeparationError, fit_linear, fit_logistic
from modelcollapse.studies.realdata.tables import Table, load_table
from modelcollapse.validation.metadata import describe

__all__ = ["run_realdata", "RealDataResult", "SCHEDULES", "VARIANTS", "LOGISTIC_RIDGE",
           "DEGENERATE_ETA", "FULL", "QUICK"]

#: default schedules: constant (collapse, linear growth in T), linear (log growth), t^1.5 (bounded)
SCHEDULES = ("n0", "n0*t", "n0*t**1.5")
#: generation-0 variants (see module docstring)
VARIANTS = ("synthetic", "real")
#: ridge penalty of the logistic fits in the study (summed log-likelihood scale)
LOGISTIC_RIDGE = 1e-6
#: |linear predictor| above which a fitted probability is within 1e-13 of 0 or 1
DEGENERATE_ETA = 30.0
#: default sizes (full study / quick)
FULL = {"T": 50, "reps": 200}
QUICK = {"T": 15, "reps": 50}


# ----------------------------------------------------------------------------------------
# the model pieces: full-table fit, Fisher information, sandwich, one generation
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Model:
    table: Table
    theta: np.ndarray  # theta*
    sigma2: float  # linear only (nan for logistic)
    trace_fisher_inv: float
    trace_sandwich: float
    ridge: float


def _full_fit(table: Table, ridge: float) -> _Model:
    Z, y, N, d = table.Z, table.y, table.n_rows, table.dim
    if table.kind == "logistic":
        try:
            theta = fit_logistic(Z, y, ridge=0.0)[0]
        except SeparationError:
            raise ValueError(
                f"{table.name}: the full table is linearly separable, so the "
                "logistic MLE theta* is infinite; use fewer covariates"
            ) from None
        p = expit(Z @ theta)
        A = (Z * (p * (1 - p))[:, None]).T @ Z / N
        resid = y - p
        I_inv = np.linalg.inv(A)
        sigma2 = math.nan
        A_inv = I_inv
    else:
        theta = fit_linear(Z, y)[0]
        resid = y - Z @ theta
        sigma2 = float(resid @ resid / (N - d))
        A = Z.T @ Z / N
        A_inv = np.linalg.inv(A)
        I_inv = sigma2 * A_inv
    B = (Z * (resid**2)[:, None]).T @ Z / N
    V = A_inv @ B @ A_inv
    return _Model(table, theta, sigma2, float(np.trace(I_inv)), float(np.trace(V)), ridge)


def _generation(
    model: _Model,
    rng: np.random.Generator,
    n: int,
    theta: np.ndarray,
    sigma2: np.ndarray,
    real: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """One generation for all replications: resample n rows, draw responses, refit."""
    tab = model.table
    Z, N, d = tab.Z, tab.n_rows, tab.dim
    reps = len(theta)
    C = rng.multinomial(n, np.full(N, 1.0 / N), size=reps).astype(float)
    if tab.kind == "logistic":
        if real:
            K = C * tab.y
        else:
            K = rng.binomial(C.astype(np.int64), expit(theta @ Z.T)).astype(float)
        prop = np.divide(K, C, out=np.zeros_like(K), where=C > 0)
        new = fit_logistic(Z, prop, C, ridge=model.ridge, theta0=theta)
        return new, sigma2
    if n <= d:
        raise ValueError(f"linear regression needs more rows than coefficients: n_t={n} <= {d}")
    if real:
        S = C * tab.y
        within = np.zeros(reps)
    else:
        mu = theta @ Z.T
        S = C * mu + np.sqrt(C * sigma2[:, None]) * rng.standard_normal(C.shape)
        occupied = (C > 0).sum(-1)
        within = sigma2 * rng.chisquare(np.maximum(n - occupied, 1)) * (n - occupied > 0)
    prop = np.divide(S, C, out=np.zeros_like(S), where=C > 0)
    beta = fit_linear(Z, prop, C)
    fitted = beta @ Z.T
    between = (C * (prop - fitted) ** 2).sum(-1)
    return beta, (within + between) / (n - d)


# ----------------------------------------------------------------------------------------
# the study
# ----------------------------------------------------------------------------------------
_SQUARED = "(as the coefficients)^2"  # coefficients of standardised covariates
#: long_name, units (None for an index or label) and description of the Dataset's variables
_VARIABLES = {
    "variant": ("generation-0 variant", None, "synthetic: generation 0 drawn from theta*; "
                "real: generation 0 fitted on real responses"),
    "schedule": ("schedule", None, "the schedule of sample sizes n_t"),
    "coef": ("coefficient", None, "the intercept and the standardised covariates"),
    "mse": ("mean squared error", _SQUARED,
            "mean over replications of ||theta_t - theta*||^2"),
    "mse_se": ("standard error of the mean squared error", _SQUARED,
               "Monte Carlo standard error of mse"),
    "median": ("median squared error", _SQUARED,
               "median over replications of ||theta_t - theta*||^2"),
    "theory": ("asymptotic mean squared error", _SQUARED,
               "tr(I^-1) (1/n0 + S_T), or tr(V)/n0 + tr(I^-1) S_T for the real variant"),
    "degenerate": ("fraction of degenerate fits", "1",
                   "fraction of logistic fits with a fitted probability within 1e-13 of 0 or 1"),
    "z": ("z-score", "1", "(mse - theory) / mse_se"),
    "n_t": ("sample size", "points", "points fitted at generation t"),
    "theta_star": ("full-table fit", "as the coefficients",
                   "the coefficients fitted on the whole table, the walk's true value"),
}


@dataclass
class RealDataResult:
    """Error trajectories of the recursion on a real table, with the asymptotic theory.

    Arrays ``mse``, ``mse_se``, ``median``, ``theory``, ``degenerate`` have shape
    ``(len(variants), len(schedules), T + 1)``: mean of :math:`\\|\\hat\\theta_t - \\theta^*\\|^2`
    over replications, its standard error, the median, the theory curve of the variant, and the
    fraction of degenerate logistic fits (0 for linear).
    """

    dataset: str
    kind: str
    features: tuple[str, ...]
    n_rows: int
    n0: int
    T: int
    reps: int
    seed: int
    ridge: float
    variants: tuple[str, ...]
    schedules: tuple[str, ...]
    sizes: np.ndarray  # (schedule, T + 1)
    theta_star: np.ndarray
    sigma2: float
    trace_fisher_inv: float
    trace_sandwich: float
    mse: np.ndarray
    mse_se: np.ndarray
    median: np.ndarray
    theory: np.ndarray
    degenerate: np.ndarray
    seconds: float
    notes: tuple[str, ...] = field(default=())

    @property
    def z(self) -> np.ndarray:
        """(mse - theory) / mse_se."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.mse - self.theory) / self.mse_se

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (lists, floats; NaN and infinities as None)."""
        out = {
            k: getattr(self, k)
            for k in ("dataset", "kind", "n_rows", "n0", "T", "reps", "seed", "ridge", "seconds")
        }
        out.update(
            features=self.features,
            variants=self.variants,
            schedules=self.schedules,
            notes=self.notes,
            sizes=self.sizes.astype(int),
            theta_star=self.theta_star,
            sigma2=self.sigma2,
            trace_fisher_inv=self.trace_fisher_inv,
            trace_sandwich=self.trace_sandwich,
        )
        for k in ("mse", "mse_se", "median", "theory", "degenerate", "z"):
            out[k] = getattr(self, k)
        return jsonable(out)

    def to_dataset(self) -> xr.Dataset:
        """xarray Dataset with dims ``(variant, schedule, t)``."""
        dims = ("variant", "schedule", "t")
        coords = {
            "variant": list(self.variants),
            "schedule": list(self.schedules),
            "t": np.arange(self.T + 1),
        }
        ds = xr.Dataset(
            {
                "mse": (dims, self.mse),
                "mse_se": (dims, self.mse_se),
                "median": (dims, self.median),
                "theory": (dims, self.theory),
                "degenerate": (dims, self.degenerate),
                "z": (dims, self.z),
                "n_t": (("schedule", "t"), self.sizes),
                "theta_star": (("coef",), self.theta_star),
            },
            coords={**coords, "coef": ["intercept", *self.features]},
        )
        ds.attrs.update(
            {
                k: v
                for k, v in self.to_dict().items()
                if isinstance(v, str | int | float) and not isinstance(v, bool)
            }
        )
        ds.attrs["notes"] = "; ".join(self.notes)
        return describe(ds, _VARIABLES)

    def __str__(self) -> str:
        lines = [
            f"real-data study: {self.dataset} ({self.kind}, N={self.n_rows}, "
            f"d={len(self.theta_star)}), n0={self.n0}, T={self.T}, reps={self.reps}",
            f"tr(I^-1) = {self.trace_fisher_inv:.4g}, tr(V) = {self.trace_sandwich:.4g}",
        ]
        for i, v in enumerate(self.variants):
            for j, s in enumerate(self.schedules):
                lines.append(
                    f"  {v:9s} {s:12s} MSE_T = {self.mse[i, j, -1]:.4g} "
                    f"± {self.mse_se[i, j, -1]:.2g}, theory {self.theory[i, j, -1]:.4g}"
                )
        return "\n".join(lines)


def run_realdata(
    *,
    dataset: str = "breast_cancer",
    data: str | None = None,
    target: str | None = None,
    schedules: Sequence[str] = SCHEDULES,
    n0: int = 200,
    T: int | None = None,
    reps: int | None = None,
    seed: int = 0,
    quick: bool = False,
    variants: Sequence[str] = VARIANTS,
    ridge: float | None = None,
) -> RealDataResult:
    """Run the real-data study (see the module docstring).

    Parameters
    ----------
    dataset : {"breast_cancer", "diabetes"}
        Bundled scikit-learn table (ignored when ``data`` is given).
    data, target : str, optional
        A user CSV file and its response column (binary -> logistic, else linear).
    schedules : sequence of str
        Schedule expressions in ``t`` and ``n0``.
    n0 : int
        Rows of generation 0.
    T, reps : int, optional
        Generations and replications (default 50 and 200; with ``quick`` 15 and 50).
    seed : int
        Seed of a :class:`numpy.random.SeedSequence`, one child per (variant, schedule).
    variants : sequence of {"synthetic", "real"}
        Generation-0 variants.
    ridge : float, optional
        Ridge penalty of the logistic fits (default :data:`LOGISTIC_RIDGE`; 0 makes a separated
        sample raise :class:`SeparationError`).
    """
    start = time.perf_counter()
    defaults = QUICK if quick else FULL
    T = integer("T", defaults["T"] if T is None else T, low=1)
    reps = integer("reps", defaults["reps"] if reps is None else reps, low=2)
    n0 = integer("n0", n0, low=2)
    variants = tuple(choice("variant", v, VARIANTS) for v in variants)
    schedules = tuple(schedules)
    if not schedules or not variants:
        raise ValueError("at least one schedule and one variant are needed")
    ridge = LOGISTIC_RIDGE if ridge is None else real("ridge", ridge, low=0)
    table = load_table(dataset, data=data, target=target)
    model = _full_fit(table, ridge)
    sizes = np.array([Schedule(s, n0=n0).sizes(T) for s in schedules], dtype=np.int64)
    inv_sums = np.concatenate(
        [np.zeros((len(schedules), 1)), np.cumsum(1.0 / sizes[:, 1:], axis=1)], axis=1
    )
    shape = (len(variants), len(schedules), T + 1)
    mse, se, med, theory, degen = (np.zeros(shape) for _ in range(5))
    children = np.random.SeedSequence(seed).spawn(len(variants) * len(schedules))
    for i, variant in enumerate(variants):
        gen0 = model.trace_fisher_inv if variant == "synthetic" else model.trace_sandwich
        theory[i] = gen0 / n0 + model.trace_fisher_inv * inv_sums
        for j, sched in enumerate(schedules):
            rng = np.random.default_rng(children[i * len(schedules) + j])
            theta = np.tile(model.theta, (reps, 1))
            sigma2 = np.full(reps, model.sigma2)
            for t in range(T + 1):
                try:
                    theta, sigma2 = _generation(
                        model,
                        rng,
                        int(sizes[j, t]),
                        theta,
                        sigma2,
                        real=(variant == "real" and t == 0),
                    )
                except SeparationError as exc:
                    raise SeparationError(
                        exc.replications, reps, f" at generation t={t} of schedule {sched!r}"
                    ) from None
                err = ((theta - model.theta) ** 2).sum(-1)
                mse[i, j, t] = err.mean()
                se[i, j, t] = err.std(ddof=1) / math.sqrt(reps)
                med[i, j, t] = np.median(err)
                if table.kind == "logistic":
                    degen[i, j, t] = (np.abs(theta @ table.Z.T).max(-1) > DEGENERATE_ETA).mean()
    notes = list(table.notes)
    if table.kind == "logistic":
        notes.append(f"ridge {ridge:g} on the summed log-likelihood")
    return RealDataResult(
        dataset=table.name,
        kind=table.kind,
        features=table.features,
        n_rows=table.n_rows,
        n0=n0,
        T=T,
        reps=reps,
        seed=seed,
        ridge=ridge if table.kind == "logistic" else 0.0,
        variants=variants,
        schedules=schedules,
        sizes=sizes,
        theta_star=model.theta,
        sigma2=model.sigma2,
        trace_fisher_inv=model.trace_fisher_inv,
        trace_sandwich=model.trace_sandwich,
        mse=mse,
        mse_se=se,
        median=med,
        theory=theory,
        degenerate=degen,
        seconds=time.perf_counter() - start,
        notes=tuple(notes),
    )
