"""Shared SymPy symbols, so every module writes the same ``t``, ``n_t`` and ``n_0``.

The conventions (Concepts): generation ``t`` (0 is the real data), horizon ``T``,
sample size ``n`` of one generation (inside a moment map) and the schedule ``n_t``
(an indexed symbol, so sums and products over generations print as :math:`n_{t}`).
"""

from __future__ import annotations

import sympy as sp

__all__ = ["t", "T", "n", "n0", "s", "n_t", "u", "kappa", "alpha"]

#: generation index (integer, >= 0)
t = sp.Symbol("t", integer=True, nonnegative=True)
#: horizon: the last generation
T = sp.Symbol("T", integer=True, positive=True)
#: sample size of one generation, as it appears in a moment map m(theta, n), v(theta, n)
n = sp.Symbol("n", positive=True)
#: size of generation 0 (the real data)
n0 = sp.Symbol("n_0", positive=True)
#: growth exponent offset in schedules such as n0 * t**(1 + s)
s = sp.Symbol("s", positive=True)
#: the schedule as an indexed symbol: n_t. Its label prints as n but is a different symbol
#: from the moment-map ``n`` (integer), so substituting n -> n_t[t] never touches the label.
n_t = sp.IndexedBase(sp.Symbol("n", integer=True, positive=True))
#: dummy generation index for products inside sums
u = sp.Symbol("u", integer=True, nonnegative=True)
#: bias amplitude and exponent: E[theta_hat | theta] = theta (1 - kappa n^(-alpha))
kappa = sp.Symbol("kappa", nonnegative=True)
alpha = sp.Symbol("alpha", positive=True)
