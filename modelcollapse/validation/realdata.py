r"""Real tabular data: recursive refitting of a regression model on its own synthetic responses.

The study (SPEC section 3, last bullet: general family, asymptotic regime) takes a real table,
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

Theory (asymptotic, SPEC section 3): with the per-observation Fisher information at
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
(:math:`|z_i^\top\theta| >` ``DEGENERATE_ETA``), SPEC's "a probability fixes at 0/1". Under a
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

import csv
import io
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import expit

from modelcollapse.schedules import Schedule

__all__ = [
    "run_realdata",
    "figure_realdata",
    "RealDataResult",
    "Table",
    "load_table",
    "fit_logistic",
    "fit_linear",
    "SeparationError",
    "DATASETS",
    "SCHEDULES",
    "VARIANTS",
    "BREAST_CANCER_FEATURES",
    "LOGISTIC_RIDGE",
    "DEGENERATE_ETA",
]

#: bundled tables (scikit-learn, no download)
DATASETS = ("breast_cancer", "diabetes")
#: default schedules: constant (collapse, linear growth in T), linear (log growth), t^1.5 (bounded)
SCHEDULES = ("n0", "n0*t", "n0*t**1.5")
#: generation-0 variants (see module docstring)
VARIANTS = ("synthetic", "real")
#: breast-cancer covariates (all 30 features separate the full table: no finite MLE)
BREAST_CANCER_FEATURES = (
    "mean texture",
    "mean smoothness",
    "mean symmetry",
    "mean fractal dimension",
)
#: ridge penalty of the logistic fits in the study (summed log-likelihood scale)
LOGISTIC_RIDGE = 1e-6
#: |linear predictor| above which a fitted probability is within 1e-13 of 0 or 1
DEGENERATE_ETA = 30.0
#: |linear predictor| above which an unpenalised logistic fit is declared separated
SEPARATION_ETA = 40.0
#: Newton iterations allowed, and the relative step size that counts as converged
MAX_NEWTON = 100
NEWTON_TOL = 1e-10
#: default sizes (full study / quick)
FULL = {"T": 50, "reps": 200}
QUICK = {"T": 15, "reps": 50}


class SeparationError(ValueError):
    """The logistic MLE does not exist (separated sample) for some replications.

    Attributes
    ----------
    replications : tuple of int
        Indices of the replications whose fit diverged.
    """

    def __init__(self, replications: Sequence[int], total: int, detail: str = "") -> None:
        self.replications = tuple(int(r) for r in replications)
        shown = ", ".join(str(r) for r in self.replications[:5])
        more = f" and {len(self.replications) - 5} more" if len(self.replications) > 5 else ""
        super().__init__(
            f"logistic MLE does not exist for replication(s) {shown}{more} of {total}"
            f"{detail}: the sample is (quasi-)separated, fitted probabilities reach 0 or 1; "
            "use more rows per generation, fewer covariates, or ridge > 0"
        )


# ----------------------------------------------------------------------------------------
# batched fitters
# ----------------------------------------------------------------------------------------
def _batch(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[None]
    if X.ndim not in (2, 3):
        raise ValueError(f"X must have shape (n, d) or (reps, n, d), got {X.shape}")
    reps, n = y.shape
    if X.shape[-2] != n or (X.ndim == 3 and X.shape[0] != reps):
        raise ValueError(f"X of shape {X.shape} does not match y of shape {y.shape}")
    w = (
        np.ones_like(y)
        if weights is None
        else np.broadcast_to(np.asarray(weights, dtype=float), y.shape)
    )
    return X, y, w


def _eta(X: np.ndarray, theta: np.ndarray) -> np.ndarray:
    return theta @ X.T if X.ndim == 2 else np.einsum("rnd,rd->rn", X, theta)


def _gram(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """sum_i w_ri x_i x_i^T for every replication r, as one matrix product."""
    d = X.shape[-1]
    if X.ndim == 2:
        outer = (X[:, :, None] * X[:, None, :]).reshape(len(X), d * d)
        return (w @ outer).reshape(len(w), d, d)
    return np.matmul(np.swapaxes(X * w[..., None], 1, 2), X)


def _xt(X: np.ndarray, v: np.ndarray) -> np.ndarray:
    return v @ X if X.ndim == 2 else np.einsum("rn,rnd->rd", v, X)


def _solve(H: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched solve; replications with a singular matrix get NaN and ``ok = False``."""
    try:
        return np.linalg.solve(H, g[..., None])[..., 0], np.ones(len(H), dtype=bool)
    except np.linalg.LinAlgError:
        out = np.full_like(g, np.nan)
        ok = np.ones(len(H), dtype=bool)
        for r in range(len(H)):  # rare path: find which matrices are singular
            try:
                out[r] = np.linalg.solve(H[r], g[r])
            except np.linalg.LinAlgError:
                ok[r] = False
        return out, ok


def _nll(X, y, w, theta, ridge):
    eta = _eta(X, theta)
    return (w * (np.logaddexp(0.0, eta) - y * eta)).sum(-1) + 0.5 * ridge * (theta**2).sum(-1)


def fit_logistic(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    ridge: float = 0.0,
    theta0: np.ndarray | None = None,
    max_iter: int = MAX_NEWTON,
    tol: float = NEWTON_TOL,
) -> np.ndarray:
    r"""Batched logistic-regression MLE by damped Newton (IRLS), all replications at once.

    Minimises :math:`\sum_i w_i[\log(1 + e^{\eta_i}) - y_i\eta_i] + \tfrac{\lambda}{2}\|\theta\|^2`,
    :math:`\eta = X\theta`, for every replication; with ``weights`` the counts :math:`C_i` and
    ``y`` the proportions :math:`K_i/C_i` this is the fit on the expanded rows.

    Parameters
    ----------
    X : array, shape (n, d) shared by all replications, or (reps, n, d)
    y : array, shape (reps, n) (or (n,) for one replication), values in [0, 1]
    weights : array broadcastable to y, optional
        Non-negative observation weights (counts).
    ridge : float
        :math:`\lambda \ge 0`; with 0 a separated sample raises :class:`SeparationError`.
    theta0 : array (reps, d), optional
        Starting values (default 0).
    max_iter, tol : int, float
        Newton steps allowed; converged when :math:`\max|\Delta\theta| \le` ``tol``
        :math:`(1 + \max|\theta|)` (quadratic convergence makes the error then ~ tol²).

    Returns
    -------
    theta : array (reps, d)

    Raises
    ------
    SeparationError
        ``ridge == 0`` and a fitted probability reaches 0 or 1 (|eta| > ``SEPARATION_ETA``),
        the Hessian becomes singular, or Newton does not converge.
    RuntimeError
        ``ridge > 0`` and Newton does not converge within ``max_iter`` steps.
    """
    X, y, w = _batch(X, y, weights)
    if np.any((y < 0) | (y > 1)) or np.any(w < 0):
        raise ValueError("logistic responses must lie in [0, 1] and weights be >= 0")
    if ridge < 0:
        raise ValueError(f"ridge must be >= 0, got {ridge}")
    reps, d = y.shape[0], X.shape[-1]
    theta = np.zeros((reps, d)) if theta0 is None else np.array(theta0, dtype=float, copy=True)
    active = np.ones(reps, dtype=bool)
    failed = np.zeros(reps, dtype=bool)
    eye = np.eye(d)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        Xa = X if X.ndim == 2 else X[idx]
        ya, wa, th = y[idx], w[idx], theta[idx]
        eta = _eta(Xa, th)
        if ridge == 0:
            sep = (np.abs(eta) * (wa > 0)).max(-1) > SEPARATION_ETA
            if sep.any():
                failed[idx[sep]] = True
                active[idx[sep]] = False
                keep = ~sep
                idx, ya, wa, th, eta = idx[keep], ya[keep], wa[keep], th[keep], eta[keep]
                Xa = X if X.ndim == 2 else X[idx]
                if idx.size == 0:
                    break
        p = expit(eta)
        grad = _xt(Xa, wa * (p - ya)) + ridge * th
        hess = _gram(Xa, wa * p * (1 - p)) + ridge * eye
        step, ok = _solve(hess, grad)
        if not ok.all():
            failed[idx[~ok]] = True
            active[idx[~ok]] = False
            idx, ya, wa, th, step = idx[ok], ya[ok], wa[ok], th[ok], step[ok]
            Xa = X if X.ndim == 2 else X[idx]
        # backtracking: halve the step where the objective does not decrease
        f0 = _nll(Xa, ya, wa, th, ridge)
        scale = np.ones(len(idx))
        new = th - step
        for _h in range(40):
            f1 = _nll(Xa, ya, wa, new, ridge)
            bad = ~(f1 <= f0 + 1e-12 * np.abs(f0))
            if not bad.any():
                break
            scale[bad] *= 0.5
            new = th - scale[:, None] * step
        theta[idx] = new
        small = np.abs(scale[:, None] * step).max(-1) <= tol * (1.0 + np.abs(new).max(-1))
        active[idx[small]] = False
    if active.any() or failed.any():
        bad = np.flatnonzero(active | failed)
        if ridge == 0:
            raise SeparationError(bad, reps)
        raise RuntimeError(
            f"Newton did not converge in {max_iter} steps for replication(s) "
            f"{', '.join(map(str, bad[:5]))} of {reps} (ridge={ridge})"
        )
    return theta


def fit_linear(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    r"""Batched (weighted) least squares: solves :math:`X^\top W X\,\beta = X^\top W y` for all
    replications at once with :func:`numpy.linalg.solve` on ``(reps, d, d)``.

    Parameters
    ----------
    X : array, shape (n, d) shared, or (reps, n, d)
    y : array, shape (reps, n) or (n,)
    weights : array broadcastable to y, optional

    Returns
    -------
    beta : array (reps, d)

    Raises
    ------
    ValueError
        A replication's design is rank deficient.
    """
    X, y, w = _batch(X, y, weights)
    beta, ok = _solve(_gram(X, w), _xt(X, w * y))
    if not ok.all():
        bad = np.flatnonzero(~ok)
        raise ValueError(
            f"rank-deficient design in replication(s) "
            f"{', '.join(map(str, bad[:5]))}: use more rows per generation"
        )
    return beta


# ----------------------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """A real table ready for the study: standardised covariates with an intercept column."""

    name: str
    kind: str  # "logistic" or "linear"
    features: tuple[str, ...]
    Z: np.ndarray  # (N, d) with intercept first
    y: np.ndarray  # (N,) in {0, 1} for logistic
    notes: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        return int(self.Z.shape[0])

    @property
    def dim(self) -> int:
        return int(self.Z.shape[1])


def _standardise(name: str, X: np.ndarray, names: Sequence[str]) -> np.ndarray:
    sd = X.std(axis=0)
    for j, s in enumerate(sd):
        if not s > 0:
            raise ValueError(
                f"column {names[j]!r} of {name} is constant: it cannot be standardised (remove it)"
            )
    return np.column_stack([np.ones(len(X)), (X - X.mean(axis=0)) / sd])


def _bundled(dataset: str) -> Table:
    try:
        from sklearn import datasets as skd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the bundled tables need scikit-learn: pip install 'modelcollapse[data]'"
        ) from exc
    if dataset == "breast_cancer":
        bunch = skd.load_breast_cancer()
        names = list(bunch.feature_names)
        cols = [names.index(f) for f in BREAST_CANCER_FEATURES]
        X = bunch.data[:, cols]
        return Table(
            "breast_cancer",
            "logistic",
            BREAST_CANCER_FEATURES,
            _standardise(dataset, X, BREAST_CANCER_FEATURES),
            bunch.target.astype(float),
            (f"target: 1 = benign ({int(bunch.target.sum())} of {len(X)} rows)",),
        )
    if dataset == "diabetes":
        bunch = skd.load_diabetes(scaled=False)
        names = tuple(bunch.feature_names)
        return Table(
            "diabetes",
            "linear",
            names,
            _standardise(dataset, bunch.data, names),
            bunch.target.astype(float),
            ("target: disease progression after one year",),
        )
    raise ValueError(f"dataset must be one of {', '.join(DATASETS)}, got {dataset!r}")


def _numeric(col: Any) -> np.ndarray:
    import pandas as pd

    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


def _read_csv(path: str, target: str) -> Table:
    import pandas as pd

    name = os.path.basename(path)
    try:
        df = pd.read_csv(
            path, dtype=str, keep_default_na=False, skip_blank_lines=False, skipinitialspace=True
        )
    except (FileNotFoundError, IsADirectoryError):
        raise ValueError(f"data file {path!r} not found") from None
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"{name}: the file is empty (a header line and data rows are needed)"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError, csv.Error) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{name}: malformed CSV: {first}") from None
    df = df.fillna("")  # short rows: missing trailing fields are reported as missing values
    columns = [str(c) for c in df.columns]
    if len(set(columns)) != len(columns):
        dup = next(c for c in columns if columns.count(c) > 1)
        raise ValueError(f"{name}: duplicate column name {dup!r}")
    if target not in columns:
        raise ValueError(
            f"{name}: target column {target!r} not found (columns: {', '.join(columns)})"
        )
    notes = []
    # a row of the data is file line index + 2 (header is line 1, blank lines are kept)
    for c in columns:
        text = df[c].str.strip()
        empty = text == ""
        if empty.any():
            i = int(np.flatnonzero(empty.to_numpy())[0])
            raise ValueError(
                f"{name}: missing value in column {c!r} at data row {i + 1} (line {i + 2})"
            )
    features, Xcols, excluded = [], [], []
    for c in columns:
        if c == target:
            continue
        vals = _numeric(df[c].str.strip())
        bad = ~np.isfinite(vals)
        if not bad.any():
            features.append(c)
            Xcols.append(vals)
        elif bad.all():
            excluded.append(c)
        else:
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name}: non-numeric cell {df[c].iloc[i]!r} in column {c!r} at "
                f"data row {i + 1} (line {i + 2})"
            )
    if excluded:
        notes.append("non-numeric columns not used: " + ", ".join(excluded))
    if not features:
        raise ValueError(f"{name}: no numeric covariate column besides target {target!r}")
    raw = df[target].str.strip()
    levels = sorted(set(raw))
    yvals = _numeric(raw)
    if len(levels) == 2:
        if np.isfinite(yvals).all():
            lo, hi = sorted(set(yvals.tolist()))
            y = (yvals == hi).astype(float)
            notes.append(f"binary target {target!r}: logistic regression, {hi:g} -> 1, {lo:g} -> 0")
        else:
            y = (raw == levels[1]).to_numpy(dtype=float)
            notes.append(
                f"binary target {target!r}: logistic regression, {levels[1]!r} -> 1, "
                f"{levels[0]!r} -> 0"
            )
        kind = "logistic"
    elif len(levels) < 2:
        raise ValueError(f"{name}: target column {target!r} takes a single value")
    else:
        bad = ~np.isfinite(yvals)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name}: non-numeric cell {raw.iloc[i]!r} in target column "
                f"{target!r} at data row {i + 1} (line {i + 2}); a non-numeric "
                "target must take exactly two values"
            )
        y = yvals
        kind = "linear"
        notes.append(f"continuous target {target!r}: linear regression with Gaussian noise")
    X = np.column_stack(Xcols)
    d = X.shape[1] + 1
    need = d + 2
    if len(X) < need:
        raise ValueError(
            f"{name}: {len(X)} data rows for {d} coefficients (intercept and "
            f"{d - 1} covariates): at least {need} rows are needed"
        )
    Z = _standardise(name, X, features)
    if np.linalg.matrix_rank(Z) < d:
        raise ValueError(
            f"{name}: the covariate columns are linearly dependent ({', '.join(features)})"
        )
    return Table(os.path.splitext(name)[0], kind, tuple(features), Z, y, tuple(notes))


def load_table(
    dataset: str = "breast_cancer", *, data: str | None = None, target: str | None = None
) -> Table:
    """The bundled table ``dataset``, or the user table ``data`` (CSV) with column ``target``.

    A binary target (two distinct values) gives logistic regression, any other numeric target
    linear regression; the choice is stated in :attr:`Table.notes`. Columns whose cells are all
    non-numeric (text categories) are left out and listed in the notes; anything else that is not
    a clean numeric table raises a one-line :class:`ValueError` naming the column and row.
    """
    if data is None:
        if target is not None:
            raise ValueError("target is only used with data=FILE.csv")
        return _bundled(dataset)
    if not target:
        raise ValueError("data=FILE.csv needs target=COLUMN (the response column)")
    return _read_csv(os.fspath(data), target)


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
        """JSON-ready dict (lists, floats; NaN as None)."""

        def clean(a):
            arr = np.asarray(a, dtype=float)
            return (
                np.where(np.isfinite(arr), arr, np.nan).tolist()
                if arr.ndim
                else (float(arr) if np.isfinite(arr) else None)
            )

        def nan_none(x):
            if isinstance(x, list):
                return [nan_none(v) for v in x]
            return None if isinstance(x, float) and math.isnan(x) else x

        out = {
            k: getattr(self, k)
            for k in ("dataset", "kind", "n_rows", "n0", "T", "reps", "seed", "ridge", "seconds")
        }
        out.update(
            features=list(self.features),
            variants=list(self.variants),
            schedules=list(self.schedules),
            notes=list(self.notes),
            sizes=self.sizes.astype(int).tolist(),
            theta_star=clean(self.theta_star),
            sigma2=nan_none(float(self.sigma2)),
            trace_fisher_inv=self.trace_fisher_inv,
            trace_sandwich=self.trace_sandwich,
        )
        for k in ("mse", "mse_se", "median", "theory", "degenerate", "z"):
            out[k] = nan_none(clean(getattr(self, k)))
        return out

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
        return ds

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


def _int_arg(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


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
    T = _int_arg("T", defaults["T"] if T is None else T, 1)
    reps = _int_arg("reps", defaults["reps"] if reps is None else reps, 2)
    n0 = _int_arg("n0", n0, 2)
    variants = tuple(variants)
    for v in variants:
        if v not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {v!r}")
    schedules = tuple(schedules)
    if not schedules or not variants:
        raise ValueError("at least one schedule and one variant are needed")
    ridge = LOGISTIC_RIDGE if ridge is None else float(ridge)
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


# ----------------------------------------------------------------------------------------
# figure F7 and its table
# ----------------------------------------------------------------------------------------
_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
F7_STEM = "F7_realdata"


def _csv_rows(res: RealDataResult) -> list[list[Any]]:
    rows = []
    for i, v in enumerate(res.variants):
        for j, s in enumerate(res.schedules):
            for t in range(res.T + 1):
                rows.append(
                    [
                        res.dataset,
                        res.kind,
                        v,
                        s,
                        t,
                        int(res.sizes[j, t]),
                        f"{res.mse[i, j, t]:.8g}",
                        f"{res.mse_se[i, j, t]:.8g}",
                        f"{res.median[i, j, t]:.8g}",
                        f"{res.theory[i, j, t]:.8g}",
                        f"{res.z[i, j, t]:.4g}",
                        f"{res.degenerate[i, j, t]:.4g}",
                    ]
                )
    return rows


def figure_realdata(
    out_dir: str | os.PathLike,
    *,
    quick: bool = False,
    seed: int = 0,
    data: str | None = None,
    target: str | None = None,
) -> list[str]:
    """Figure F7 (PNG and PDF) and its CSV table: squared error against generation on real
    tables, simulation as points with error bars (±2 standard errors), theory as lines, one panel
    per table (the two bundled ones, plus ``data``/``target`` when given). Lower error bars are
    cut at 10% of the point on the log axis.

    Returns the paths written: ``F7_realdata.png``, ``F7_realdata.pdf``, ``F7_realdata.csv``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    os.makedirs(out_dir, exist_ok=True)
    runs = [run_realdata(dataset=ds, quick=quick, seed=seed) for ds in DATASETS]
    if data is not None:
        runs.append(run_realdata(data=data, target=target, quick=quick, seed=seed))
    fig = Figure(figsize=(5.0 * len(runs), 4.2), layout="constrained")
    FigureCanvasAgg(fig)  # Agg backend, chosen here without touching pyplot's global state
    axes = fig.subplots(1, len(runs), squeeze=False)[0]
    markers = {"synthetic": ("o", "-"), "real": ("s", "--")}
    for ax, res in zip(axes, runs, strict=True):
        t = np.arange(res.T + 1)
        for j, s in enumerate(res.schedules):
            c = _COLOURS[j % len(_COLOURS)]
            for i, v in enumerate(res.variants):
                mk, ls = markers[v]
                lower = np.minimum(2 * res.mse_se[i, j], 0.9 * res.mse[i, j])  # log axis
                ax.errorbar(
                    t,
                    res.mse[i, j],
                    yerr=[lower, 2 * res.mse_se[i, j]],
                    fmt=mk,
                    ms=3.5,
                    color=c,
                    mfc=c if v == "synthetic" else "none",
                    elinewidth=0.8,
                    capsize=0,
                    label=f"{s}, gen 0 {v}",
                    alpha=0.85,
                )
                ax.plot(t, res.theory[i, j], ls, color=c, lw=1.2)
        ax.set_yscale("log")
        ax.set_xlabel("generation t")
        ax.set_ylabel(r"$E\,\|\hat\theta_t-\theta^*\|^2$")
        ax.set_title(
            f"{res.dataset} ({res.kind}, N={res.n_rows}, d={len(res.theta_star)}), $n_0$={res.n0}",
            fontsize=9,
        )
        ax.grid(alpha=0.3, which="both", lw=0.4)
    axes[0].legend(fontsize=7, title="points: simulation ±2 SE; lines: theory", title_fontsize=7)
    stem = os.path.join(os.fspath(out_dir), F7_STEM)
    paths = [stem + ".png", stem + ".pdf", stem + ".csv"]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        [
            "dataset",
            "model",
            "generation0",
            "schedule",
            "t",
            "n_t",
            "mse",
            "mse_se",
            "median",
            "theory",
            "z",
            "degenerate_fraction",
        ]
    )
    for res in runs:
        writer.writerows(_csv_rows(res))
    with open(paths[2], "w", encoding="utf-8") as fh:
        fh.write(buf.getvalue())
    return paths
