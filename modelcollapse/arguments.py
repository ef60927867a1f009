"""Checks of scalar arguments at the boundary of the public API (STYLE point 5).

Every checker takes the parameter's ``name`` and its ``value`` and returns the value in its
plain Python form, or raises with one line naming the parameter, the allowed set and the
value: ``TypeError`` when the value is of the wrong kind (a bool, a string, a float for an
integer), ``ValueError`` when it is of the right kind but outside the allowed set. Numpy
integers and floats are accepted wherever Python ones are; bools never count as numbers.

>>> integer("reps", 0, low=1)
Traceback (most recent call last):
...
ValueError: reps must be an integer >= 1, got 0
>>> integer("seed", "a", low=0)
Traceback (most recent call last):
...
TypeError: seed must be an integer >= 0, got 'a'

Two keywords let a module keep its own wording: ``allowed`` replaces the description of the
allowed set that the checker derives from its bounds, and ``repeat_name=True`` ends the message
with ``got NAME = VALUE`` (the style of the theory modules):

>>> real("lam", 0.0, low=0, low_open=True, allowed="a finite real number > 0", repeat_name=True)
Traceback (most recent call last):
...
ValueError: lam must be a finite real number > 0, got lam = 0.0

This module is the bottom layer: it imports nothing from the package.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

__all__ = ["integer", "real", "probability", "choice", "flag", "mapping", "names"]

T = TypeVar("T")

#: longest value text a message shows (a huge int or a long string is cut)
_MAX_SHOWN = 80


def integer(name: str, value: Any, *, low: int | None = None, high: int | None = None,
            allowed: str | None = None, repeat_name: bool = False) -> int:
    """``value`` as an ``int`` in ``[low, high]`` (either bound may be None: unbounded).

    Parameters
    ----------
    name : str
        The parameter's name as the message shows it.
    value : Any
        A Python or numpy integer (any :class:`numbers.Integral` but bool).
    low, high : int, optional
        Inclusive bounds.
    allowed : str, optional
        The allowed set as the message words it; default from the bounds, e.g.
        ``"an integer >= 1"``.
    repeat_name : bool
        End the message with ``got NAME = VALUE`` instead of ``got VALUE``.

    Raises
    ------
    TypeError
        For a bool or a non-integer (a float such as ``2.0`` included).
    ValueError
        For an integer outside ``[low, high]``.

    Examples
    --------
    >>> import numpy as np
    >>> integer("T", np.int64(5), low=0)
    5
    >>> integer("T", 2.0, low=0)
    Traceback (most recent call last):
    ...
    TypeError: T must be an integer >= 0, got 2.0
    >>> integer("bins", 1, low=2, high=10)
    Traceback (most recent call last):
    ...
    ValueError: bins must be an integer in [2, 10], got 1
    """
    text = allowed or "an integer" + _bounds(low, high, False, False, within=" in")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(_message(name, text, value, repeat_name))
    out = int(value)
    if (low is not None and out < low) or (high is not None and out > high):
        raise ValueError(_message(name, text, value, repeat_name))
    return out


def real(name: str, value: Any, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False, finite: bool = True,
         allowed: str | None = None, repeat_name: bool = False) -> float:
    """``value`` as a ``float`` between ``low`` and ``high``; never NaN.

    Parameters
    ----------
    name : str
        The parameter's name as the message shows it.
    value : Any
        A real number: a Python or numpy int or float, a :class:`fractions.Fraction`, a SymPy
        number (any :class:`numbers.Real` but bool).
    low, high : float, optional
        Bounds, inclusive unless ``low_open`` / ``high_open``; None: unbounded.
    low_open, high_open : bool
        Exclude the bound itself.
    finite : bool
        Refuse ``inf`` and ``-inf`` (default); with False they pass when within the bounds.
    allowed : str, optional
        The allowed set as the message words it; default from the bounds, e.g.
        ``"a finite number > 0"`` or ``"in (0, 1)"``.
    repeat_name : bool
        End the message with ``got NAME = VALUE`` instead of ``got VALUE``.

    Raises
    ------
    TypeError
        For a bool or a value that is not a real number (a string, None, a complex number).
    ValueError
        For NaN, an infinity (unless ``finite=False``), or a number outside the bounds.

    Examples
    --------
    >>> real("delta", 0.25, low=0, low_open=True)
    0.25
    >>> real("delta", 0, low=0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: delta must be a finite number > 0, got 0
    >>> real("inverse_sum", float("inf"), low=0, finite=False)
    inf
    >>> real("start", "1")
    Traceback (most recent call last):
    ...
    TypeError: start must be a finite number, got '1'
    """
    if allowed is None:
        if low is not None and high is not None:
            allowed = _bounds(low, high, low_open, high_open, within="in").lstrip()
        else:
            allowed = ("a finite number" if finite else "a number") \
                + _bounds(low, high, low_open, high_open) + ("" if finite else " (inf allowed)")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(_message(name, allowed, value, repeat_name))
    try:
        out = float(value)
    except OverflowError:  # an int beyond the float range
        out = math.inf if value > 0 else -math.inf
    bad = (
        math.isnan(out)
        or (finite and math.isinf(out))
        or (low is not None and (out <= low if low_open else out < low))
        or (high is not None and (out >= high if high_open else out > high))
    )
    if bad:
        raise ValueError(_message(name, allowed, value, repeat_name))
    return out


def probability(name: str, value: Any, *, low_open: bool = True, high_open: bool = True,
                allowed: str | None = None, repeat_name: bool = False) -> float:
    """``value`` as a ``float`` in ``(0, 1)``; ``low_open=False`` / ``high_open=False`` admit
    0 / 1. The kinds and errors of :func:`real`.

    Examples
    --------
    >>> probability("epsilon", 0.05)
    0.05
    >>> probability("epsilon", 1.0)
    Traceback (most recent call last):
    ...
    ValueError: epsilon must be in (0, 1), got 1.0
    >>> probability("p", 1, low_open=False, high_open=False)
    1.0
    """
    return real(name, value, low=0, high=1, low_open=low_open, high_open=high_open,
                allowed=allowed, repeat_name=repeat_name)


def choice(name: str, value: Any, allowed: Iterable[T], *, repeat_name: bool = False) -> T:
    """The member of ``allowed`` equal to ``value`` (``ValueError`` naming them all if none).

    When every member of ``allowed`` is a string, a value that is not one is of the wrong kind
    (``TypeError``).

    Examples
    --------
    >>> choice("mode", "exact", ("exact", "brute", "normal"))
    'exact'
    >>> choice("mode", "fast", ("exact", "brute", "normal"))
    Traceback (most recent call last):
    ...
    ValueError: mode must be one of exact, brute, normal, got 'fast'
    >>> choice("mode", 3, ("exact", "brute", "normal"))
    Traceback (most recent call last):
    ...
    TypeError: mode must be one of exact, brute, normal, got 3
    """
    members = tuple(allowed)
    text = "one of " + ", ".join(str(m) for m in members)
    if all(isinstance(m, str) for m in members) and not isinstance(value, str):
        raise TypeError(_message(name, text, value, repeat_name))
    for m in members:
        try:
            if bool(m == value):
                return m
        except (TypeError, ValueError):  # e.g. an array compared elementwise
            continue
    raise ValueError(_message(name, text, value, repeat_name))


def flag(name: str, value: Any) -> bool:
    """``value`` as a ``bool``: only ``True``/``False`` (or a numpy bool); anything else, such
    as the string ``"no"`` (which Python would take as true) or 1, is ``TypeError``.

    Examples
    --------
    >>> flag("quick", True)
    True
    >>> flag("quick", "no")
    Traceback (most recent call last):
    ...
    TypeError: quick must be True or False, got 'no'
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(_message(name, "True or False", value, False))
    return bool(value)


def mapping(name: str, value: Any, *, allow_none: bool = True) -> dict:
    """``value`` as a ``dict`` (a copy; ``{}`` for None when ``allow_none``); anything that is
    not a mapping, such as a list of pairs, is ``TypeError``.

    Examples
    --------
    >>> mapping("params", {"p": 0.2})
    {'p': 0.2}
    >>> mapping("params", [("p", 0.2)])
    Traceback (most recent call last):
    ...
    TypeError: params must be a mapping such as {'name': value}, got [('p', 0.2)]
    """
    if value is None and allow_none:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(_message(name, "a mapping such as {'name': value}", value, False))
    return dict(value)


def names(name: str, value: Any, *, allow_none: bool = True) -> list[str] | None:
    """``value`` as a list of strings (None passes when ``allow_none``). A lone string is
    ``TypeError`` (it would be read letter by letter), as is a member that is not a string.

    Examples
    --------
    >>> names("families", ("poisson", "bernoulli"))
    ['poisson', 'bernoulli']
    >>> names("families", "poisson")
    Traceback (most recent call last):
    ...
    TypeError: families must be a list of names such as ['poisson'], got 'poisson'
    """
    if value is None and allow_none:
        return None
    allowed = "a list of names such as ['poisson']"
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(_message(name, allowed, value, False))
    out = list(value)
    for item in out:
        if not isinstance(item, str):
            raise TypeError(_message(name, allowed, value, False))
    return out


# ---------------------------------------------------------------------------------------------
# wording
# ---------------------------------------------------------------------------------------------
def _number(x: float) -> str:
    """A bound as the message shows it: ``0`` for 0 or 0.0, ``0.5``, ``inf``."""
    if isinstance(x, float) and math.isfinite(x) and x.is_integer():
        return str(int(x))
    return str(x)


def _bounds(low: float | None, high: float | None, low_open: bool, high_open: bool, *,
            within: str = "") -> str:
    """`` >= 1``, `` < 1``, `` [0, 1)`` (``within`` goes before an interval), or ``""``."""
    if low is not None and high is not None:
        return (f"{within} {'(' if low_open else '['}{_number(low)}, {_number(high)}"
                f"{')' if high_open else ']'}")
    if low is not None:
        return f" {'>' if low_open else '>='} {_number(low)}"
    if high is not None:
        return f" {'<' if high_open else '<='} {_number(high)}"
    return ""


def _shown(value: Any) -> str:
    """``repr`` of the value (numpy scalars as their Python value), cut to one short line."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int) and value.bit_length() > 4 * _MAX_SHOWN:
        # (repr of an int beyond 4300 digits even raises ValueError)
        return f"an integer of about {value.bit_length() * math.log10(2):.0f} digits"
    text = repr(value)
    if len(text) > _MAX_SHOWN:
        text = f"{text[:_MAX_SHOWN - 30]}... ({len(text)} characters)"
    return text


def _message(name: str, allowed: str, value: Any, repeat_name: bool) -> str:
    shown = _shown(value)
    return f"{name} must be {allowed}, got {f'{name} = {shown}' if repeat_name else shown}"
