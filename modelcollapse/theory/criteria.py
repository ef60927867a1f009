r"""When does the walk collapse, and how fast must the sample size grow?

For every family here (SPEC section 3) the step noise is of order :math:`1/n_t`, and a bias of
order :math:`n^{-\alpha}` adds a drift of that order. The walk has a non-degenerate limit with
finite mean-squared error iff

.. math::

    \sum_t n_t^{-1} < \infty \quad\text{and, under bias,}\quad \sum_t n_t^{-\alpha} < \infty .

For :math:`n_t \asymp t^p (\log t)^q` that is :math:`p > p^* = \max(1, 1/\alpha)`, and at the
boundary :math:`p = p^*` the log factor decides: the series :math:`\sum n_t^{-a}` converges iff
:math:`pa > 1`, or :math:`pa = 1` and :math:`qa > 1`.
"""

from __future__ import annotations

from typing import Literal

import sympy as sp

from modelcollapse import symbols
from modelcollapse.families.base import Bias
from modelcollapse.schedules import Schedule

__all__ = ["driver_exponents", "collapses", "required_growth_exponent", "collapse_condition"]

Decision = Literal["converges", "diverges", "undecided"]


def driver_exponents(bias: Bias | None = None) -> list[sp.Expr]:
    r"""The exponents :math:`a` whose series :math:`\sum_t n_t^{-a}` must converge.

    >>> driver_exponents(Bias(1, 0.5))
    [1, 1/2]
    """
    out = [sp.Integer(1)]
    if bias is not None and bias.active:
        alpha = sp.nsimplify(bias.alpha) if isinstance(bias.alpha, float) else bias.alpha
        if alpha != 1:
            out.append(sp.sympify(alpha))  # safe: a number or a SymPy symbol
    return out


def collapses(schedule: Schedule, bias: Bias | None = None) -> bool | None:
    """True if the walk collapses under ``schedule``, False if not, None if undecided.

    >>> collapses(Schedule("n0*t**1.5", n0=10))
    False
    >>> collapses(Schedule("n0*t**1.5", n0=10), Bias(1, 0.5))
    True
    """
    decisions = [schedule.converges(a) for a in driver_exponents(bias)]
    if "diverges" in decisions:
        return True
    if all(d == "converges" for d in decisions):
        return False
    return None


def required_growth_exponent(bias: Bias | None = None) -> float | sp.Expr:
    r""":math:`p^* = \max(1, 1/\alpha)`: :math:`n_t \asymp t^p` avoids collapse iff :math:`p > p^*`.

    >>> required_growth_exponent(Bias(1, 0.25))
    4.0
    >>> required_growth_exponent()
    1.0
    """
    if bias is None or not bias.active:
        return 1.0
    if isinstance(bias.alpha, sp.Expr) and not bias.alpha.is_number:
        return sp.Max(1, 1 / bias.alpha)
    return max(1.0, 1.0 / float(bias.alpha))


def collapse_condition(bias: Bias | None = None) -> sp.Expr:
    r"""The no-collapse condition as a SymPy boolean, e.g.
    :math:`\sum_{t=1}^{\infty} n_t^{-1} < \infty`."""
    t = symbols.t
    conds = [sp.StrictLessThan(sp.Sum(symbols.n_t[t] ** (-a), (t, 1, sp.oo)), sp.oo,
                               evaluate=False) for a in driver_exponents(bias)]
    return sp.And(*conds, evaluate=False) if len(conds) > 1 else conds[0]
