r"""Batched maximum-likelihood fitters of the real-data study: all replications at once.

:func:`fit_logistic` (damped Newton / IRLS, optional ridge) and :func:`fit_linear` (weighted
least squares) take one design ``(n, d)`` shared by the replications or one per replication
``(reps, n, d)``, and optional count weights, so that a fit on multinomial row counts equals
the fit on the expanded rows (see :mod:`modelcollapse.studies.realdata.study`).

>>> import numpy as np
>>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
>>> fit_linear(X, [[1.0, 3.0, 5.0, 7.0]]).round(12).tolist()
[[1.0, 2.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import expit

from modelcollapse.arguments import real

__all__ = ["fit_logistic", "fit_linear", "SeparationError", "SEPARATION_ETA", "MAX_NEWTON",
           "NEWTON_TOL"]

#: |linear predictor| above which an unpenalised logistic fit is declared separated
SEPARATION_ETA = 40.0
#: Newton iterations allowed, and the relative step size that counts as converged
MAX_NEWTON = 100
NEWTON_TOL = 1e-10


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
    ridge = real("ridge", ridge, low=0)
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
