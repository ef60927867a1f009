"""Exceptions that carry data, so callers can react to *what* failed, not parse text."""

from __future__ import annotations

__all__ = ["NoClosedFormError", "ChainTooLargeError"]


class NoClosedFormError(ValueError):
    """A quantity has no exact closed form for this family, estimator or workflow.

    Parameters
    ----------
    family : str
        Family name, e.g. ``"gaussian-variance"``.
    quantity : str
        What was asked for, e.g. ``"variance_T"``.
    reason : str
        Why it does not close (shown in the message).
    """

    def __init__(self, family: str, quantity: str, reason: str) -> None:
        self.family = family
        self.quantity = quantity
        self.reason = reason
        super().__init__(f"no closed form for {quantity} of {family}: {reason}")


class ChainTooLargeError(ValueError):
    """An exact absorption chain would take more work than allowed: ``work`` (the sum of its
    transition-matrix sizes) exceeds ``max_work``; the message says what to do instead."""

    def __init__(self, message: str, *, work: int, max_work: int) -> None:
        self.work = work
        self.max_work = max_work
        super().__init__(message)
