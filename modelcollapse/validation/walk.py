r"""The walk over generations: the one loop that draws :math:`\hat\theta_t` from
:math:`\hat\theta_{t-1}`,

.. math::

    s_t = \mathrm{step}(s_{t-1}, t, n_t), \qquad t = 0, 1, \dots, T,

from a starting state :math:`s_{-1}` (the true value: generation 0 is the fit on :math:`n_0`
real points). Every simulation of collapse in the package is this loop and passes what differs
as hooks, as emcee's moves share one sampling loop: the *step* draws one generation (the exact
one-step law with its bias, the pooling of the accumulate workflow, a biased log-factor), the
*observer* keeps what its caller needs (moments, recorded values, a path, a running minimum).
The callers: the Monte Carlo engine (:func:`modelcollapse.validation.engine.run_blocks`), the
simulated walks of the collapse answers (``modelcollapse.inference.answers``) and the simulated
data sets of the calibration (``modelcollapse.inference.calibration.simulate_design``).

The walk draws nothing itself: a step draws from the generator it closes over, so the random
streams are the callers' own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

__all__ = ["walk"]

State = TypeVar("State")


def walk(state: State, sizes: Iterable[Any], step: Callable[[State, int, Any], State], *,
         observe: Callable[[int, State], None] | None = None, start: int = 0) -> State:
    r"""Run ``step`` over the generations of ``sizes`` and return the last state.

    Parameters
    ----------
    state
        The state before the first generation (any object: an array of replications, a dict of
        parameter arrays, a list of blocks, ...).
    sizes : iterable
        The sample sizes :math:`n_t`, in order.
    step : callable
        ``step(state, t, n) -> state``: the state of generation ``t`` (sample size ``n``) from
        the previous one.
    observe : callable, optional
        ``observe(t, state)``, called with the new state after every step (to record moments,
        values, a running minimum, or to advance a progress bar).
    start : int, default 0
        The generation index of ``sizes[0]`` (1 for a walk that continues after generation 0).

    Returns
    -------
    The state after the last generation (``state`` itself when ``sizes`` is empty).

    Examples
    --------
    The mean of the maximum-likelihood variance walk, :math:`E\hat\sigma^2_t =
    (1 - 1/n_t)\,E\hat\sigma^2_{t-1}`, from :math:`\sigma^2 = 1`:

    >>> from fractions import Fraction
    >>> def show(t, v):
    ...     print(t, v)
    >>> walk(Fraction(1), [2, 4, 8], lambda v, t, n: v * (1 - Fraction(1, n)), observe=show)
    0 1/2
    1 3/8
    2 21/64
    Fraction(21, 64)
    """
    for t, n in enumerate(sizes, start):
        state = step(state, t, n)
        if observe is not None:
            observe(t, state)
    return state
