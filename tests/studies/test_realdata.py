"""The real-data study (:mod:`modelcollapse.studies.realdata`).

* The batched fitters against per-replication references written here: a plain Newton loop for
  logistic regression (and the expanded-row fit for count weights), ``np.linalg.lstsq`` for least
  squares; separation raises.
* Trajectories on the diabetes table: the constant schedule grows with T, ``n0*t**1.5`` stays
  bounded; the simulated mean squared error at T against the exact finite-sample value
  sigma^2 sum_t E tr(Z^T C_t Z)^-1, computed here by an independent Monte Carlo over the row
  counts, and against the asymptotic curve.
* Malformed CSVs raise one-line ValueErrors naming the column / row; a user CSV runs.
* ``figure_realdata`` writes its files.

Seeds are fixed; no test is retried and no tolerance is tuned to a seed.
"""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest

from modelcollapse.studies.realdata import (
    SeparationError,
    figure_realdata,
    fit_linear,
    fit_logistic,
    load_table,
    run_realdata,
)

pytest.importorskip("sklearn")

#: |z| allowed between Monte Carlo and theory: a normal z beyond 4.5 has probability 7e-6
Z_TOL = 4.5


def _newton_single(X, y, iters=60):
    """Reference: undamped Newton for one replication, written independently."""
    theta = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-X @ theta))
        grad = X.T @ (y - p)
        hess = X.T @ (X * (p * (1 - p))[:, None])
        theta = theta + np.linalg.solve(hess, grad)
    return theta


def test_fit_logistic_matches_single_newton():
    rng = np.random.default_rng(11)
    reps, n, d = 7, 150, 4
    X = rng.standard_normal((reps, n, d))
    X[..., 0] = 1.0
    truth = rng.normal(0, 0.7, (reps, d))
    y = (rng.random((reps, n)) < 1 / (1 + np.exp(-np.einsum("rnd,rd->rn", X, truth)))) * 1.0
    got = fit_logistic(X, y)
    for r in range(reps):
        np.testing.assert_allclose(got[r], _newton_single(X[r], y[r]), rtol=0, atol=1e-8)


def test_fit_logistic_counts_equal_expanded_rows():
    rng = np.random.default_rng(12)
    N, d, reps = 40, 3, 5
    Z = np.column_stack([np.ones(N), rng.standard_normal((N, d - 1))])
    C = rng.multinomial(120, np.full(N, 1 / N), size=reps)
    K = rng.binomial(C, 0.4)
    prop = np.divide(K, C, out=np.zeros(K.shape), where=C > 0)
    got = fit_logistic(Z, prop, C)
    for r in range(reps):
        rows = np.repeat(np.arange(N), C[r])
        ones = np.concatenate(
            [np.r_[np.ones(k), np.zeros(c - k)] for c, k in zip(C[r], K[r], strict=True)]
        )
        np.testing.assert_allclose(got[r], _newton_single(Z[rows], ones), atol=1e-8)


def test_fit_logistic_separation_raises():
    X = np.column_stack([np.ones(6), [-3.0, -2, -1, 1, 2, 3]])
    y = np.array([[0.0, 0, 0, 1, 1, 1]])
    with pytest.raises(SeparationError, match=r"replication\(s\) 0 of 1.*separated"):
        fit_logistic(X, y)
    # a ridge keeps the fit finite
    assert np.isfinite(fit_logistic(X, y, ridge=1e-6)).all()


def test_fit_linear_matches_lstsq():
    rng = np.random.default_rng(13)
    reps, n, d = 6, 50, 5
    X = rng.standard_normal((reps, n, d))
    y = rng.standard_normal((reps, n)) * 3 + 1
    got = fit_linear(X, y)
    for r in range(reps):
        ref = np.linalg.lstsq(X[r], y[r], rcond=None)[0]
        np.testing.assert_allclose(got[r], ref, rtol=1e-10, atol=1e-10)
    w = rng.integers(0, 4, (reps, n)).astype(float)
    got_w = fit_linear(X, y, w)
    for r in range(reps):
        sw = np.sqrt(w[r])
        ref = np.linalg.lstsq(X[r] * sw[:, None], y[r] * sw, rcond=None)[0]
        np.testing.assert_allclose(got_w[r], ref, rtol=1e-10, atol=1e-10)


@pytest.fixture(scope="module")
def diabetes_run():
    return run_realdata(
        dataset="diabetes",
        schedules=("n0", "n0*t**1.5"),
        T=15,
        reps=400,
        seed=3,
        variants=("synthetic",),
    )


def test_trajectories_grow_or_stay_bounded(diabetes_run):
    res = diabetes_run
    const, fast = res.mse[0, 0], res.mse[0, 1]
    # constant: theory ratio (1 + 15) at T vs t = 0, and (1 + 7) at t = 7
    assert const[15] > const[7] > const[0]
    assert const[15] / const[0] > 8
    # t^1.5: bounded by 1 + zeta(1.5) = 3.61 times the generation-0 error for every T
    assert fast[15] / fast[0] < 4.5
    assert fast[15] < 0.4 * const[15]


def _exact_linear_mse(sizes, seed=99, draws=3000):
    """sigma^2 * sum_t E tr(Z^T diag(C_t) Z)^-1 by Monte Carlo over multinomial row counts."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, scaled=False)
    Z = np.column_stack([np.ones(len(X)), (X - X.mean(0)) / X.std(0)])
    beta, rss, *_ = np.linalg.lstsq(Z, y, rcond=None)
    N, d = Z.shape
    sigma2 = float(rss[0]) / (N - d)
    rng = np.random.default_rng(seed)
    total, var = 0.0, 0.0
    for n in sizes:
        C = rng.multinomial(int(n), np.full(N, 1 / N), size=draws)
        G = (C @ (Z[:, :, None] * Z[:, None, :]).reshape(N, d * d)).reshape(draws, d, d)
        tr = np.trace(np.linalg.inv(G), axis1=1, axis2=2) * sigma2
        total += tr.mean()
        var += tr.var(ddof=1) / draws
    return total, np.sqrt(var)


@pytest.mark.parametrize("j", [0, 1])
def test_mse_at_T_matches_exact_and_asymptotic_theory(diabetes_run, j):
    res = diabetes_run
    exact, exact_se = _exact_linear_mse(res.sizes[j])
    mc, se = res.mse[0, j, -1], res.mse_se[0, j, -1]
    assert abs(mc - exact) / np.hypot(se, exact_se) < Z_TOL
    assert abs(res.z[0, j, -1]) < Z_TOL  # asymptotic tr(I^-1)(1/n0 + S_T)


def test_result_containers(diabetes_run):
    ds = diabetes_run.to_dataset()
    assert ds["mse"].dims == ("variant", "schedule", "t")
    np.testing.assert_allclose(ds["mse"].values, diabetes_run.mse)
    for name in (*ds.data_vars, *ds.coords):  # self-describing, as simulate's Datasets
        assert ds[name].attrs.get("long_name") and ds[name].attrs.get("description"), name
    assert all(ds[name].attrs.get("units") for name in ds.data_vars)
    assert ds.attrs["version"]
    d = diabetes_run.to_dict()
    assert d["kind"] == "linear" and len(d["mse"][0][0]) == 16


# ----------------------------------------------------------------------------------------
# user CSVs
# ----------------------------------------------------------------------------------------
def _write(path, rows):
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return os.fspath(path)


def _good_rows(n=60, seed=5, binary=False):
    rng = np.random.default_rng(seed)
    rows = [["a", "b", "city", "y"]]
    for _ in range(n):
        a, b = rng.standard_normal(2)
        y = (
            ("yes" if rng.random() < 1 / (1 + np.exp(-a)) else "no")
            if binary
            else f"{1 + 2 * a - b + rng.standard_normal():.6f}"
        )
        rows.append([f"{a:.6f}", f"{b:.6f}", rng.choice(["x", "z"]), y])
    return rows


@pytest.mark.parametrize(
    "edit, target, match",
    [
        (lambda r: r, "income", r"target column 'income' not found \(columns: a, b, city, y\)"),
        (
            lambda r: r[:3] + [[r[3][0], "oops", r[3][2], r[3][3]]] + r[4:],
            "y",
            r"non-numeric cell 'oops' in column 'b' at data row 3 \(line 4\)",
        ),
        (
            lambda r: r[:2] + [[r[2][0], "", r[2][2], r[2][3]]] + r[3:],
            "y",
            r"missing value in column 'b' at data row 2 \(line 3\)",
        ),
        (lambda r: r[:5] + [r[5][:3]] + r[6:], "y", r"missing value in column 'y' at data row 5"),
        (lambda r: r[:3], "y", r"2 data rows for 3 coefficients .* at least 5 rows"),
        (
            lambda r: [r[0]] + [x[:3] + ["4"] for x in r[1:]],
            "y",
            r"target column 'y' takes a single value",
        ),
        (
            lambda r: r[:4] + [r[4][:3] + ["abc"]] + r[5:],
            "y",
            r"non-numeric cell 'abc' in target column 'y' at data row 4",
        ),
        # float() takes these; a CSV number is ASCII digits without separators
        (
            lambda r: r[:3] + [["\uff11.\uff10", *r[3][1:]]] + r[4:],
            "y",
            r"non-numeric cell '\uff11.\uff10' in column 'a' at data row 3 \(line 4\)",
        ),
        (
            lambda r: r[:6] + [[r[6][0], "1_0", *r[6][2:]]] + r[7:],
            "y",
            r"non-numeric cell '1_0' in column 'b' at data row 6 \(line 7\)",
        ),
        (
            lambda r: r[:2] + [[*r[2][:3], "2_5"]] + r[3:],
            "y",
            r"non-numeric cell '2_5' in target column 'y' at data row 2 \(line 3\)",
        ),
    ],
)
def test_malformed_csv(tmp_path, edit, target, match):
    path = _write(tmp_path / "bad.csv", edit(_good_rows()))
    with pytest.raises(ValueError, match=match):
        load_table(data=path, target=target)


def test_ragged_and_empty_csv(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,y\n1,2,3\n4,5,6,7\n8,9,1\n")
    with pytest.raises(ValueError, match=r"ragged.csv: malformed CSV: .*line 3"):
        load_table(data=os.fspath(path), target="y")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty.csv: the file is empty"):
        load_table(data=os.fspath(empty), target="y")
    with pytest.raises(ValueError, match="needs target=COLUMN"):
        load_table(data=os.fspath(empty))
    with pytest.raises(ValueError, match="data file .*missing.csv' not found"):
        load_table(data=os.fspath(tmp_path / "missing.csv"), target="y")


def test_user_csv_runs_and_states_choices(tmp_path):
    lin = load_table(data=_write(tmp_path / "lin.csv", _good_rows()), target="y")
    assert lin.kind == "linear" and lin.features == ("a", "b")
    assert any("not used: city" in n for n in lin.notes)
    binary = _write(tmp_path / "bin.csv", _good_rows(n=300, binary=True))
    tab = load_table(data=binary, target="y")
    assert tab.kind == "logistic" and set(tab.y) == {0.0, 1.0}
    assert any("'yes' -> 1" in n for n in tab.notes)
    res = run_realdata(data=binary, target="y", n0=100, T=3, reps=20, seed=1)
    assert res.kind == "logistic" and np.isfinite(res.mse).all()
    assert res.mse.shape == (2, 3, 4)


# ----------------------------------------------------------------------------------------
# figure
# ----------------------------------------------------------------------------------------
def test_figure_realdata_writes_files(tmp_path):
    paths = figure_realdata(tmp_path / "out", quick=True, seed=0)
    assert [os.path.basename(p) for p in paths] == [
        "F7_realdata.png",
        "F7_realdata.pdf",
        "F7_realdata.csv",
    ]
    for p in paths:
        assert os.path.getsize(p) > 1000
    with open(paths[2]) as fh:
        rows = list(csv.DictReader(fh))
    # 2 tables x 2 variants x 3 schedules x 16 generations
    assert len(rows) == 2 * 2 * 3 * 16
    assert {r["dataset"] for r in rows} == {"breast_cancer", "diabetes"}
