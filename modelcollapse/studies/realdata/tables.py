"""Real tables of the study: the bundled scikit-learn tables and user CSV files.

A :class:`Table` holds standardised covariates (full-table mean and standard deviation,
``ddof=0``) with an intercept column first, and the response.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from modelcollapse.arguments import choice
from modelcollapse.csvreader import CsvShapeError, is_number_text, read_csv

__all__ = ["Table", "load_table", "DATASETS", "BREAST_CANCER_FEATURES"]

#: bundled tables (scikit-learn, no download)
DATASETS = ("breast_cancer", "diabetes")
#: breast-cancer covariates (all 30 features separate the full table: no finite MLE)
BREAST_CANCER_FEATURES = (
    "mean texture",
    "mean smoothness",
    "mean symmetry",
    "mean fractal dimension",
)


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
    raise AssertionError(f"no loader for the bundled dataset {dataset!r}")  # pragma: no cover


def _numeric(cells: Sequence[str]) -> np.ndarray:
    """The cells as floats, NaN where a cell is not a number."""
    out = np.full(len(cells), np.nan)
    for i, cell in enumerate(cells):
        # float() alone also takes look-alike digits ("１.０") and "_" separators ("1_0")
        if is_number_text(cell):
            out[i] = float(cell)
    return out


def _read_csv(path: str, target: str) -> Table:
    name = os.path.basename(path)
    try:
        table = read_csv(path)
    except (FileNotFoundError, IsADirectoryError):
        raise ValueError(f"data file {path!r} not found") from None
    except CsvShapeError as exc:
        raise ValueError(
            f"{name}: malformed CSV: {exc.cells} cells for {exc.columns} columns at data row "
            f"{exc.row} (line {exc.line})"
        ) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{name}: malformed CSV: {first}") from None
    except OSError as exc:
        raise ValueError(f"cannot read data file {path!r}: {exc.strerror or exc}") from None
    if not table.header:
        raise ValueError(f"{name}: the file is empty (a header line and data rows are needed)")
    columns = list(table.header)
    if len(set(columns)) != len(columns):
        dup = next(c for c in columns if columns.count(c) > 1)
        raise ValueError(f"{name}: duplicate column name {dup!r}")
    if target not in columns:
        raise ValueError(
            f"{name}: target column {target!r} not found (columns: {', '.join(columns)})"
        )
    notes = []
    cells = {c: [cell.strip() for cell in table.column(c)] for c in columns}

    def where(i: int) -> str:
        return f"data row {table.rows[i]} (line {table.lines[i]})"

    for c in columns:
        if "" in cells[c]:  # also the cells a short row lacks
            first = cells[c].index("")
            raise ValueError(f"{name}: missing value in column {c!r} at {where(first)}")
    features, Xcols, excluded = [], [], []
    for c in columns:
        if c == target:
            continue
        vals = _numeric(cells[c])
        bad = ~np.isfinite(vals)
        if not bad.any():
            features.append(c)
            Xcols.append(vals)
        elif bad.all():
            excluded.append(c)
        else:
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name}: non-numeric cell {cells[c][i]!r} in column {c!r} at {where(i)}"
            )
    if excluded:
        notes.append("non-numeric columns not used: " + ", ".join(excluded))
    if not features:
        raise ValueError(f"{name}: no numeric covariate column besides target {target!r}")
    raw = cells[target]
    levels = sorted(set(raw))
    yvals = _numeric(raw)
    if len(levels) == 2:
        if np.isfinite(yvals).all():
            lo, hi = sorted(set(yvals.tolist()))
            y = (yvals == hi).astype(float)
            notes.append(f"binary target {target!r}: logistic regression, {hi:g} -> 1, {lo:g} -> 0")
        else:
            y = (np.array(raw) == levels[1]).astype(float)
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
                f"{name}: non-numeric cell {raw[i]!r} in target column {target!r} at {where(i)}; "
                "a non-numeric target must take exactly two values"
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
        return _bundled(choice("dataset", dataset, DATASETS))
    if not target:
        raise ValueError("data=FILE.csv needs target=COLUMN (the response column)")
    return _read_csv(os.fspath(data), target)
