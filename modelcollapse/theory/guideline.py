r"""The data-expansion guideline: what a faster-growing schedule costs and what it buys.

For the power schedules :math:`n_t = c\,n_0\,t^{1+s}` (no rounding, multiplier
:math:`c \ge 1`), derived here:

.. math::

    \mathrm{cost}_T = c\,n_0 \sum_{t=1}^{T} t^{1+s} \approx \frac{c\,n_0 T^{2+s}}{2+s},
    \qquad
    \mathrm{error}_\infty = V\Big(\frac{1}{n_0} + S_\infty\Big)
    = \frac{V}{n_0}\Big(1 + \frac{\zeta(1+s)}{c}\Big),

the limiting mean-squared error of an asymptotically normal estimator with variance
:math:`V/n`. The real-data error is :math:`V/n_0`; the walk always loses at least the factor
:math:`1 + \zeta(1+s)/c > 1`. Going from :math:`s = 1` to :math:`s = 2` at :math:`c = 1`
improves the factor only from 2.645 to 2.202 while the cost to :math:`T` grows about
:math:`T`-fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import special

from modelcollapse.arguments import integer, real

__all__ = ["GuidelineRow", "guideline_table", "cheapest_schedule", "error_for_budget"]


@dataclass(frozen=True)
class GuidelineRow:
    """One schedule member :math:`n_t = c\\,n_0\\,t^{1+s}`: its cost to T and its limit error."""

    s: float
    multiplier: float
    cost_T: float
    limit_error: float
    error_factor: float  # limit_error / (V / n0)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def _check(n0: int, T: int, variance: float) -> tuple[int, int, float]:
    return (integer("n0", n0, low=1), integer("T", T, low=1),
            real("variance", variance, low=0, low_open=True))


def _s_values(s_values: Sequence[float]) -> list[float]:
    out = [float(s) for s in s_values]
    if not out or any(not (s > 0 and np.isfinite(s)) for s in out):
        raise ValueError(f"s values must be finite numbers > 0, got {list(s_values)!r}")
    return out


def _row(n0: int, T: int, s: float, c: float, variance: float) -> GuidelineRow:
    t = np.arange(1, T + 1, dtype=float)
    cost = c * n0 * float(np.sum(t ** (1 + s)))
    factor = 1 + float(special.zeta(1 + s)) / c
    return GuidelineRow(s, c, cost, variance / n0 * factor, factor)


def guideline_table(n0: int = 100, *, s_values: Sequence[float] = (0.25, 0.5, 1.0, 2.0),
                    T: int = 100, variance: float = 1.0) -> list[GuidelineRow]:
    r"""Cost to ``T`` and limit error of :math:`n_t = n_0 t^{1+s}` for each ``s`` (c = 1).

    >>> rows = guideline_table(100, s_values=(1, 2), T=100)
    >>> [round(r.error_factor, 3) for r in rows]
    [2.645, 2.202]
    >>> round(rows[1].cost_T / rows[0].cost_T, 1)  # about 3T/4 times dearer
    75.4
    """
    n0, T, variance = _check(n0, T, variance)
    return [_row(n0, T, s, 1.0, variance) for s in _s_values(s_values)]


def cheapest_schedule(n0: int, delta: float, *, T: int = 100,
                      s_values: Sequence[float] = tuple(np.linspace(0.1, 3.0, 30))
                      ) -> GuidelineRow:
    r"""The cheapest member (over ``s`` and the multiplier :math:`c \ge 1`) whose limit error is
    within a factor :math:`1 + \delta` of the real-data error: :math:`\zeta(1+s)/c \le
    \delta`, so :math:`c = \max(1, \zeta(1+s)/\delta)`.

    >>> row = cheapest_schedule(100, 0.5, T=100)
    >>> row.error_factor <= 1.5 + 1e-12
    True
    """
    delta = real("delta", delta, low=0, low_open=True)
    n0, T, _ = _check(n0, T, 1.0)
    rows = [_row(n0, T, s, max(1.0, float(special.zeta(1 + s)) / delta), 1.0)
            for s in _s_values(s_values)]
    return min(rows, key=lambda r: r.cost_T)


def error_for_budget(n0: int, budget: float, *, T: int = 100,
                     s_values: Sequence[float] = tuple(np.linspace(0.1, 3.0, 30)),
                     variance: float = 1.0) -> GuidelineRow:
    r"""The smallest limit error a budget of ``budget`` synthetic samples up to ``T`` buys:
    for each ``s`` the largest multiplier with :math:`\mathrm{cost}_T \le` budget
    (:math:`c \ge 1`; members that cannot afford :math:`c = 1` are out).

    >>> row = error_for_budget(100, 1e9, T=100)
    >>> row.cost_T <= 1e9
    True
    """
    n0, T, variance = _check(n0, T, variance)
    rows = []
    for s in _s_values(s_values):
        unit = _row(n0, T, s, 1.0, variance).cost_T
        if unit <= budget:
            rows.append(_row(n0, T, s, budget / unit, variance))
    if not rows:
        raise ValueError(f"budget {budget:g} cannot pay for any schedule n0*t**(1+s) up to T={T}")
    return min(rows, key=lambda r: r.limit_error)
