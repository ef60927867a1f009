r"""Observed trajectories :math:`\hat\theta_0, \dots, \hat\theta_T` of a recursive-training
pipeline, validated for one family.

A table has one row per generation and the columns ``t``, ``n`` (the sample size
:math:`n_t` of that generation) and ``estimate`` (:math:`\hat\theta_t`), and optionally
``trajectory`` (an id, for several independent pipelines in one table; rows of different
trajectories may interleave). Within a trajectory, ``t`` starts at 0 (the fit on the real data)
and goes up by 1 from row to row. Trajectories may have different lengths and schedules.

Every problem is a :class:`ValueError` with a one-line message naming the row (the 1-based data
row, the header not counted: row 1 is line 2 of a CSV file) and the column::

    >>> load_trajectories({"t": [0, 1], "n": [20, 1], "estimate": [1.0, 0.9]})
    Traceback (most recent call last):
    ...
    ValueError: row 2, column 'n': 1 is below the smallest sample size of gaussian-variance (2)

This module needs numpy only (no PyMC), so the command line can check a file before it imports
the sampler.
"""

from __future__ import annotations

import csv
import math
import numbers
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from modelcollapse.csvreader import NUMBER_FORMS, is_number_text, read_csv
from modelcollapse.families import Family, get_family
from modelcollapse.families.files import loads

__all__ = ["Trajectories", "Trajectory", "load_trajectories", "from_simulation",
           "resolve_family", "COLUMNS"]

#: the required columns, then the optional one
COLUMNS = ("t", "n", "estimate")
OPTIONAL = "trajectory"
#: parameter kinds whose bias the inference models
SUPPORTED_KINDS = ("location", "scale", "rate")


def resolve_family(family: str | Family) -> tuple[Family, str]:
    """The family and the name of the estimator whose law the bias multiplies (``unbiased``
    where the family has one).

    Inference needs one scalar parameter whose bias the model defines (a location,
    scale or rate).
    """
    fam = get_family(family)
    if len(fam.parameters) != 1 or fam.vector:
        names = ", ".join(p.name for p in fam.parameters)
        raise ValueError(f"inference needs a family with one scalar parameter; {fam.name} has "
                         f"{names}")
    p = fam.parameters[0]
    if p.kind not in SUPPORTED_KINDS:
        raise ValueError(f"bias of order n^-alpha is defined for location, scale and rate "
                         f"parameters; {p.name} of {fam.name} is a {p.kind}")
    estimator = "unbiased" if "unbiased" in fam.estimators else fam.default_estimator
    return fam, estimator


@dataclass(frozen=True)
class Trajectory:
    """One trajectory (views into the arrays of :class:`Trajectories`)."""

    id: Any
    t: np.ndarray
    n: np.ndarray
    estimate: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


@dataclass(frozen=True, eq=False)
class Trajectories:
    """Validated trajectories: flat arrays, grouped by trajectory, each sorted by ``t``.

    ``t``, ``n`` (int64), ``estimate`` (float64) and ``trajectory`` (the ids as given) have one
    entry per observed generation; ``row`` is the 1-based row of each in the source (for
    messages). Build it with :func:`load_trajectories` or :func:`from_simulation`.
    """

    t: np.ndarray
    n: np.ndarray
    estimate: np.ndarray
    trajectory: np.ndarray
    row: np.ndarray
    family: str = "gaussian-variance"
    #: the family itself (user families need not be registered)
    family_def: Family | None = field(default=None, repr=False)

    @property
    def ids(self) -> list[Any]:
        """Trajectory ids in order of first appearance."""
        return [self.trajectory[s.start] for s in self._slices()]

    def _slices(self) -> list[slice]:
        starts = np.flatnonzero(self.t == 0)
        ends = np.append(starts[1:], len(self.t))
        return [slice(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]

    def __iter__(self) -> Iterator[Trajectory]:
        for s in self._slices():
            yield Trajectory(self.trajectory[s.start], self.t[s], self.n[s], self.estimate[s])

    def __len__(self) -> int:
        """The number of trajectories."""
        return int(np.count_nonzero(self.t == 0))

    def __getitem__(self, i: int) -> Trajectory:
        s = self._slices()[i]
        return Trajectory(self.trajectory[s.start], self.t[s], self.n[s], self.estimate[s])

    @property
    def n_transitions(self) -> int:
        """Number of steps :math:`\\hat\\theta_{t-1} \\to \\hat\\theta_t` (rows with t >= 1)."""
        return int(np.count_nonzero(self.t > 0))

    def transitions(self) -> dict[str, np.ndarray]:
        """The steps, all trajectories together: ``previous``, ``current`` (estimates),
        ``n`` (:math:`n_t`), ``index`` (of the current row in the arrays) and ``trajectory``
        (the 0-based trajectory number)."""
        cur = np.flatnonzero(self.t > 0)
        number = np.cumsum(self.t == 0) - 1
        return {"previous": self.estimate[cur - 1], "current": self.estimate[cur],
                "n": self.n[cur], "index": cur, "trajectory": number[cur]}

    def to_dict(self) -> dict[str, list]:
        """Columns as lists (``t``, ``n``, ``estimate``, ``trajectory``)."""
        return {"t": self.t.tolist(), "n": self.n.tolist(), "estimate": self.estimate.tolist(),
                "trajectory": [_plain(v) for v in self.trajectory]}

    def __repr__(self) -> str:
        lengths = [len(tr) for tr in self]
        return (f"Trajectories({self.family}: {len(lengths)} trajectories, "
                f"{self.n_transitions} transitions, generations per trajectory "
                f"{min(lengths)}..{max(lengths)}, n {int(self.n.min())}..{int(self.n.max())})")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# -- reading ----------------------------------------------------------------------------------


def _read_csv(path: str | os.PathLike) -> tuple[dict[str, list], list[int], str]:
    name = os.fspath(path)
    label = f"{os.path.basename(name)}: "
    try:
        table = read_csv(name)  # a row longer than the header raises its own one-line error
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValueError(f"cannot read {name}: {reason}") from None
    if not table.header:
        raise ValueError(f"{label}the file is empty; expected a header with the columns "
                         f"{', '.join(COLUMNS)} (and optionally {OPTIONAL})")
    _check_header(table.header, label)
    return {c: table.column(c) for c in table.header}, list(table.rows), label


def _check_header(header: Sequence[str], label: str) -> None:
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValueError(f"{label}missing column{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(repr(c) for c in missing)}; the columns are "
                         f"{', '.join(COLUMNS)} and optionally {OPTIONAL} (found "
                         f"{', '.join(repr(c) for c in header)})")
    dup = sorted({c for c in header if header.count(c) > 1 and c in (*COLUMNS, OPTIONAL)})
    if dup:
        raise ValueError(f"{label}column {dup[0]!r} appears more than once")


def _from_mapping(source: Mapping[str, Any]) -> tuple[dict[str, list], list[int], str]:
    header = [str(k) for k in source]
    _check_header(header, "")
    columns = {str(k): list(np.asarray(v, dtype=object).ravel()) for k, v in source.items()
               if str(k) in (*COLUMNS, OPTIONAL)}
    lengths = {k: len(v) for k, v in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError("columns of different lengths: "
                         + ", ".join(f"{k} {v}" for k, v in lengths.items()))
    return columns, list(range(1, len(columns["t"]) + 1)), ""


def _is_missing(cell: Any) -> bool:
    if cell is None:
        return True
    if isinstance(cell, str):
        return cell.strip() == ""
    try:
        return bool(cell != cell)  # NaN, pandas.NA raises TypeError
    except TypeError:
        return True


def _number(cell: Any, row: int, column: str, label: str) -> float:
    where = f"{label}row {row}, column {column!r}"
    if _is_missing(cell):
        raise ValueError(f"{where}: missing value")
    if isinstance(cell, bool | np.bool_):
        raise ValueError(f"{where}: {cell!r} is not a number")
    try:
        value = float(cell.strip() if isinstance(cell, str) else cell)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {str(cell).strip()!r} is not a number") from None
    if isinstance(cell, str) and not is_number_text(cell):  # '１.０', '1_0': float takes them
        raise ValueError(f"{where}: {cell.strip()!r} is not a number; allowed: {NUMBER_FORMS}")
    if not math.isfinite(value):
        raise ValueError(f"{where}: {str(cell).strip()} is not a finite number")
    return value


#: largest integer cell (t, n): read as a float, beyond 2**53 it is no longer exact
_MAX_INTEGER = 2**53


def _integer(cell: Any, row: int, column: str, label: str) -> int:
    value = _number(cell, row, column, label)
    # judged on the exact value written, not on the float: 9007199254740993 (2**53 + 1) and
    # 9007199254740992.5 both round to the float 2**53
    if isinstance(cell, str):
        exact: Any = Decimal(cell.strip())
        shown = cell.strip()
    elif isinstance(cell, numbers.Integral):
        exact, shown = int(cell), str(int(cell))
    else:
        exact, shown = value, f"{value:g}"
    if abs(exact) > _MAX_INTEGER:  # (also keeps it within the int64 arrays)
        raise ValueError(f"{label}row {row}, column {column!r}: {shown} is out of range; "
                         f"allowed: integers of magnitude up to 2**53 = {_MAX_INTEGER}")
    if exact != int(exact):
        raise ValueError(f"{label}row {row}, column {column!r}: {shown} is not an integer")
    return int(exact)


def load_trajectories(source: Any, *, family: str | Family = "gaussian-variance"
                      ) -> Trajectories:
    """Read and validate trajectories for ``family``.

    ``source`` is a CSV path (``str`` or path-like), a :class:`pandas.DataFrame`, a mapping of
    column name to values (lists or arrays), or :class:`Trajectories` (checked again for
    ``family``). Columns other than ``t``, ``n``, ``estimate``, ``trajectory`` are ignored.

    Checks: the columns exist; every cell is a number (``t``, ``n`` integers); ``n`` is at least
    the family's smallest sample size (2 for gaussian-variance, 3 for exponential); estimates lie
    in the parameter's domain (positive for a scale or rate; for poisson 0 is allowed, and a
    trajectory that hit 0 stays there); each trajectory starts at ``t = 0``, goes up by 1, and
    has at least two generations.

    >>> tr = load_trajectories({"t": [0, 1, 2], "n": [20, 40, 80], "estimate": [1.0, .9, .95]})
    >>> tr
    Trajectories(gaussian-variance: 1 trajectories, 2 transitions, generations per trajectory \
3..3, n 20..80)
    >>> load_trajectories({"t": [0, 2], "n": [20, 40], "estimate": [1.0, 0.9]})
    Traceback (most recent call last):
    ...
    ValueError: row 2, column 't': expected t = 1 (trajectory 0 continues from t = 0), got 2
    """
    fam, estimator = resolve_family(family)
    if isinstance(source, Trajectories):
        columns = {k: list(v) for k, v in source.to_dict().items()}
        rows, label = [int(r) for r in source.row], ""
    elif isinstance(source, str | os.PathLike):
        columns, rows, label = _read_csv(source)
    elif hasattr(source, "columns") and hasattr(source, "to_dict"):  # a pandas DataFrame
        columns, rows, label = _from_mapping({str(c): source[c].to_numpy(dtype=object)
                                              for c in source.columns})
    elif isinstance(source, Mapping):
        columns, rows, label = _from_mapping(source)
    else:
        raise TypeError(f"trajectories come from a CSV path, a pandas DataFrame or a mapping "
                        f"of columns, not {type(source).__name__}")
    if not rows:
        raise ValueError(f"{label}no data rows; expected one row per generation with the "
                         f"columns {', '.join(COLUMNS)}")
    return _validate(columns, rows, label, fam, estimator)


def _validate(columns: dict[str, list], rows: list[int], label: str, fam: Family,
              estimator: str) -> Trajectories:
    p = fam.parameters[0]
    minimum = fam.estimator(estimator).min_size
    absorbing = fam.absorbing == "extinction"
    count = len(rows)
    t = np.empty(count, dtype=np.int64)
    n = np.empty(count, dtype=np.int64)
    est = np.empty(count, dtype=np.float64)
    ids = columns.get(OPTIONAL)
    for i, row in enumerate(rows):
        t[i] = _integer(columns["t"][i], row, "t", label)
        n[i] = _integer(columns["n"][i], row, "n", label)
        if n[i] < minimum:
            raise ValueError(f"{label}row {row}, column 'n': {n[i]} is below the smallest "
                             f"sample size of {fam.name} ({minimum})")
        est[i] = _number(columns["estimate"][i], row, "estimate", label)
        if p.domain == "positive" and not absorbing and est[i] <= 0:
            raise ValueError(f"{label}row {row}, column 'estimate': {est[i]:g} is not positive; "
                             f"{p.name} of {fam.name} is > 0")
        if absorbing and est[i] < 0:
            raise ValueError(f"{label}row {row}, column 'estimate': {est[i]:g} is negative; "
                             f"{p.name} of {fam.name} is >= 0")
        if absorbing:
            x = est[i] * n[i]
            if abs(x - round(x)) > 1e-3 + 1e-6 * x:
                raise ValueError(f"{label}row {row}, column 'estimate': n * estimate = {x:g} "
                                 f"is not a whole count (a {fam.name} estimate is a count / n)")
        if ids is not None and _is_missing(ids[i]):
            raise ValueError(f"{label}row {row}, column 'trajectory': missing value")
    tid = np.asarray([_plain(v) for v in ids] if ids is not None else [0] * count, dtype=object)
    if ids is not None and all(isinstance(v, str) for v in tid):
        tid = np.asarray([v.strip() for v in tid], dtype=object)
    # group by trajectory (first appearance order), keeping file order inside each
    first: dict[Any, int] = {}
    for v in tid:
        first.setdefault(v, len(first))
    order = np.argsort(np.fromiter((first[v] for v in tid), dtype=np.int64, count=count),
                       kind="stable")
    rows_arr = np.asarray(rows, dtype=np.int64)[order]
    t, n, est, tid = t[order], n[order], est[order], tid[order]
    start = 0
    for k in range(1, count + 1):
        if k < count and tid[k] == tid[start]:
            continue
        _check_trajectory(t[start:k], est[start:k], rows_arr[start:k], tid[start], label,
                          absorbing, fam.name)
        start = k
    return Trajectories(t=t, n=n, estimate=est, trajectory=tid, row=rows_arr, family=fam.name,
                        family_def=fam)


def _check_trajectory(t: np.ndarray, est: np.ndarray, rows: np.ndarray, tid: Any, label: str,
                      absorbing: bool, family: str) -> None:
    if t[0] != 0:
        raise ValueError(f"{label}row {rows[0]}, column 't': trajectory {tid!r} starts at "
                         f"t = {t[0]}; expected 0 (the fit on the real data)")
    for j in range(1, len(t)):
        if t[j] != t[j - 1] + 1:
            raise ValueError(f"{label}row {rows[j]}, column 't': expected t = {t[j - 1] + 1} "
                             f"(trajectory {tid!r} continues from t = {t[j - 1]}), got {t[j]}")
        if absorbing and est[j - 1] == 0 and est[j] != 0:
            raise ValueError(f"{label}row {rows[j]}, column 'estimate': {est[j]:g} after 0 at "
                             f"t = {t[j - 1]}; 0 is absorbing for {family}")
    if len(t) < 2:
        raise ValueError(f"{label}row {rows[0]}, column 'trajectory': trajectory {tid!r} has a "
                         f"single row (t = 0); at least two generations are needed")


def from_simulation(ds: Any, reps: int | Sequence[int] | None = None, *,
                    family: str | Family | None = None) -> Trajectories:
    """Trajectories from a :func:`modelcollapse.validation.simulate` Dataset made with
    ``trajectories=True``: every replication (``reps=None``), the first ``reps`` of them (an
    int) or those listed. The trajectory ids are the replication numbers.

    >>> from modelcollapse.validation import simulate
    >>> ds = simulate("gaussian-variance", T=5, reps=3, seed=1, trajectories=True,
    ...               progress=False)
    >>> from_simulation(ds, 2)
    Trajectories(gaussian-variance: 2 trajectories, 10 transitions, generations per trajectory \
6..6, n 100..100)
    """
    if "trajectory" not in getattr(ds, "data_vars", {}):
        raise ValueError("the Dataset has no 'trajectory' variable; simulate with "
                         "trajectories=True")
    traj = ds["trajectory"]
    swept = [d for d in traj.dims if d not in ("rep", "t", "component")]
    if swept:
        raise ValueError(f"the Dataset is a sweep over {swept[0]!r} ({traj.sizes[swept[0]]} "
                         f"runs); select one run first, e.g. ds.isel({swept[0]}=0)")
    if traj.sizes.get("component", 1) != 1:
        raise ValueError(f"inference needs one component; the Dataset has "
                         f"{traj.sizes['component']}")
    values = np.asarray(traj.transpose("rep", "t", ...).values, dtype=float).reshape(
        traj.sizes["rep"], traj.sizes["t"])
    if reps is None:
        picked = np.arange(values.shape[0])
    elif isinstance(reps, int | np.integer) and not isinstance(reps, bool):
        if not 1 <= reps <= values.shape[0]:
            raise ValueError(f"reps must be between 1 and {values.shape[0]}, got {reps}")
        picked = np.arange(int(reps))
    else:
        picked = np.asarray(reps, dtype=np.int64)
    T1 = values.shape[1]
    sizes = np.asarray(ds["n"].values, dtype=np.int64)
    columns = {"t": np.tile(np.arange(T1), len(picked)), "n": np.tile(sizes, len(picked)),
               "estimate": values[picked].ravel(),
               "trajectory": np.repeat(np.asarray(ds["rep"].values)[picked], T1)}
    if family is None:
        family = (loads(ds.attrs["family_file"]) if ds.attrs.get("family_file")
                  else ds.attrs.get("family", "gaussian-variance"))
        try:
            family = get_family(family)
        except ValueError:
            raise ValueError(f"the Dataset's family {family!r} is not registered here; pass "
                             "family= (the Family, or the path of its family file)") from None
    return load_trajectories(columns, family=family)
