"""Resource guards decided before the work (STYLE point 5: one-line errors naming the limit).

Symbolic steps (limits, sums, leading terms) and arrays can take forever or all memory on input
that the parser accepts, e.g. the schedule ``"(t + 1)**2000"``, a moment map with variance
``1/(n**997 + n + 1)``, ``derive mvgaussian --dim 1000000`` or ``improve --T 10**12``. A time
budget cannot stop a SymPy call (a worker thread is not interruptible in Python), so each guard
is a structural bound checked up front, generous enough for every documented use:

======================  =================================================================
``MAX_DEGREE``          100: degree bound of an expression in its variable (``t`` of a
                        schedule, ``n`` and the parameter of a moment map or law)
``MAX_DIMENSION``       100: dimension of a multivariate family (``--dim``, cells of ``p``;
                        symbolic log-determinants hold one term per dimension)
``MAX_ELEMENTS``        10**8: entries of one array an engine allocates (about 0.8 GB of
                        float64), e.g. reps x (T + 1) trajectories, draws x chains
``MAX_HORIZON``         10**7: a finite horizon T for the quantities that need an array of
                        length T (improvement probability, Monte Carlo walks)
``MAX_OPERATIONS``      5000: operations (:func:`sympy.count_ops`) of an expression handed to
                        a limit or a leading-term step; a larger one is reported undecided
======================  =================================================================

Each checker raises ``ValueError`` (bad value) with one line naming the quantity, its value
and the limit.

>>> import sympy as sp
>>> t = sp.Symbol("t")
>>> degree_bound((t + 1)**3 * t + sp.log(t), [t])
4.0
>>> check_degree((t + 1)**2000, [t], "schedule '(t+1)**2000'")
Traceback (most recent call last):
...
ValueError: schedule '(t+1)**2000' has degree 2000 in t, above the limit MAX_DEGREE = 100
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import sympy as sp

__all__ = ["MAX_DEGREE", "MAX_DIMENSION", "MAX_ELEMENTS", "MAX_HORIZON", "MAX_OPERATIONS",
           "degree_bound", "too_large", "check_degree", "check_dimension", "check_elements",
           "check_horizon", "check_posterior"]

MAX_DEGREE = 100
MAX_DIMENSION = 100
MAX_ELEMENTS = 10**8
MAX_HORIZON = 10**7
MAX_OPERATIONS = 5000


def degree_bound(expr: sp.Basic, variables: Iterable[sp.Symbol]) -> float:
    r"""An upper bound on the polynomial degree of ``expr`` in ``variables``, read off the tree.

    .. math:: \deg(a + b) \le \max(\deg a, \deg b), \quad \deg(ab) \le \deg a + \deg b,
              \quad \deg(a^c) \le |c| \deg a

    for a numeric exponent :math:`c` (``Min``, ``Max`` and ``Abs`` as sums); a symbolic
    exponent counts with its own degree. The argument of any other function (``log``, ``exp``,
    ``gamma``...) counts on its own, the function's value as a constant: :math:`e^{t^{300}}`
    counts as 300, :math:`t^{100}\log(t + 1)^{100}` as 100. The walk visits each node of the
    tree once (shared subtrees once), without expanding.

    >>> import sympy as sp
    >>> n, th = sp.symbols("n theta")
    >>> degree_bound(1 / (n**997 + n + 1) + th**2, [n, th])
    997.0
    >>> degree_bound(sp.exp(n**300) + sp.log(n + 1)**100, [n])
    300.0
    """
    wanted = set(variables)
    memo: dict[sp.Basic, float] = {}
    inner = [0.0]  # the degrees of function arguments

    def walk(node: sp.Basic) -> float:
        if node in memo:
            return memo[node]
        if not (node.free_symbols & wanted):
            out = 0.0
        elif node.is_Symbol:
            out = 1.0
        elif node.is_Mul:
            out = sum(walk(a) for a in node.args)
        elif node.is_Pow:
            base, exponent = node.args
            if exponent.is_number:
                try:
                    size = abs(float(exponent))
                except (TypeError, ValueError):
                    size = math.inf
                out = walk(base) * size if walk(base) else 0.0
            else:
                out = max(walk(base), walk(exponent))
        elif node.is_Add or isinstance(node, sp.Min | sp.Max | sp.Abs):
            out = max((walk(a) for a in node.args), default=0.0)
        else:  # log, exp, gamma...: the arguments on their own
            inner.extend(walk(a) for a in node.args)
            out = 0.0
        memo[node] = out
        return out

    return max(walk(expr), *inner)


def too_large(expr: sp.Basic, variables: Iterable[sp.Symbol]) -> bool:
    """Whether a symbolic step (a limit, a leading term) on ``expr`` may not finish: its
    degree bound in ``variables`` exceeds ``MAX_DEGREE`` or its operation count
    ``MAX_OPERATIONS``. Callers then report "undecided" instead of trying.

    >>> import sympy as sp
    >>> n = sp.Symbol("n")
    >>> too_large(1 / (n**997 + n + 1), [n]), too_large(2 / (n - 1), [n])
    (True, False)
    """
    return (degree_bound(expr, variables) > MAX_DEGREE
            or sp.count_ops(expr, visual=False) > MAX_OPERATIONS)


def check_degree(expr: sp.Basic, variables: Iterable[sp.Symbol], what: str,
                 limit: int = MAX_DEGREE) -> sp.Basic:
    """``expr`` itself, or ``ValueError`` when its degree bound (:func:`degree_bound`) in
    ``variables`` exceeds ``limit`` (default ``MAX_DEGREE``).

    >>> import sympy as sp
    >>> n = sp.Symbol("n")
    >>> check_degree(1 / n**2, [n], "variance")
    n**(-2)
    """
    variables = list(variables)
    degree = degree_bound(expr, variables)
    if degree > limit:
        shown = f"{degree:.4g}" if math.isfinite(degree) else "unbounded"
        names = ", ".join(sorted(str(v) for v in variables if v in expr.free_symbols))
        raise ValueError(f"{what} has degree {shown} in {names}, above the limit "
                         f"MAX_DEGREE = {limit}")
    return expr


def check_dimension(dim: int, family: str, limit: int = MAX_DIMENSION) -> int:
    """``dim``, or ``ValueError`` above ``MAX_DIMENSION`` (an integer checked beforehand).

    >>> check_dimension(10**6, "mvgaussian")
    Traceback (most recent call last):
    ...
    ValueError: dim of mvgaussian must be an integer in [1, 100] (MAX_DIMENSION), got 1000000
    """
    if dim > limit:
        raise ValueError(f"dim of {family} must be an integer in [1, {limit}] (MAX_DIMENSION), "
                         f"got {dim}")
    return dim


def check_elements(what: str, shape: dict[str, int], limit: int = MAX_ELEMENTS, *,
                   lower: tuple[str, ...] | None = None) -> int:
    """The product of ``shape``'s sizes, or ``ValueError`` naming them when it exceeds
    ``limit`` (default ``MAX_ELEMENTS``); the message suggests lowering ``lower`` (default:
    every name of ``shape``).

    >>> check_elements("trajectories", {"reps": 10**6, "T + 1": 1001})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: trajectories need reps x T + 1 = 1000000 x 1001 = 1.001e+09 entries, above ...
    """
    total = math.prod(int(v) for v in shape.values())
    if total > limit:
        names = " x ".join(shape)
        sizes = " x ".join(str(int(v)) for v in shape.values())
        raise ValueError(f"{what} need {names} = {sizes} = {float(total):.4g} entries, above "
                         f"the limit MAX_ELEMENTS = {limit}; lower {' or '.join(lower or shape)}")
    return total


def check_horizon(T: int | float, what: str, limit: int = MAX_HORIZON) -> int | float:
    """``T``, or ``ValueError`` for a finite ``T`` above ``limit`` (default ``MAX_HORIZON``)
    where ``what`` needs an array of length T.

    >>> check_horizon(10**12, "the walk")
    Traceback (most recent call last):
    ...
    ValueError: T = 1000000000000 is above the limit MAX_HORIZON = 10000000 for the walk
    """
    if math.isfinite(T) and T > limit:
        raise ValueError(f"T = {T} is above the limit MAX_HORIZON = {limit} for {what}")
    return T


def check_posterior(draws: int, chains: int, transitions: int) -> int:
    """The entries of a posterior (draws x chains x values per draw: the log-likelihood of each
    transition and about 16 parameters and sampler statistics), or ``ValueError`` above
    ``MAX_ELEMENTS``, decided before sampling.

    >>> check_posterior(1000, 4, 84)
    400000
    >>> check_posterior(10**9, 4, 84)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the posterior would need draws x chains x values per draw = 1000000000 x 4 ...
    """
    return check_elements("the posterior would", {"draws": draws, "chains": chains,
                                                  "values per draw": transitions + 16},
                          lower=("draws", "chains"))
