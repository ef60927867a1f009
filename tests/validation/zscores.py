"""z-scores of sample moments, shared by the simulator tests (written from the textbook
formulas, independent of the library's own checks)."""

from __future__ import annotations

import math

import numpy as np


def mean_z(x: np.ndarray, expected: float) -> float:
    """z-score of the sample mean against ``expected`` (standard error from the sample)."""
    x = np.asarray(x, dtype=float)
    return float((x.mean() - expected) / (x.std(ddof=1) / math.sqrt(len(x))))


def variance_z(x: np.ndarray, expected: float) -> float:
    """z-score of the sample variance against ``expected``; its standard error
    ``sqrt((m4 - s^4) / N)`` comes from the sample fourth central moment."""
    x = np.asarray(x, dtype=float)
    c = x - x.mean()
    s2 = float(np.mean(c**2)) * len(x) / (len(x) - 1)
    m4 = float(np.mean(c**4))
    return (s2 - expected) / math.sqrt((m4 - s2**2) / len(x))
