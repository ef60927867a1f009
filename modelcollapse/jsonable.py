"""One JSON cleaner for every JSON object the package writes (``--json`` output, ``to_dict``
methods, ``results.json``).

JSON has no NaN or infinity and does not know numpy: :func:`jsonable` turns a nested value into
plain Python that :func:`json.dumps` writes with ``allow_nan=False`` (so a value it missed fails
loudly instead of writing ``NaN``, which strict JSON readers reject). A non-finite number
becomes ``null``; :func:`null_reasons` says where and why, for the object to carry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["jsonable", "null_reasons"]

_REASONS = {"nan": "not a number (undefined, e.g. 0/0 or a statistic of too few values)",
            "inf": "+infinity (JSON has none)", "-inf": "-infinity (JSON has none)",
            "overflow": "overflow: beyond the float range (magnitude above 1.8e308)"}


def jsonable(value: Any) -> Any:
    """``value`` ready for :func:`json.dumps`, recursively.

    Mappings become dicts with ``str`` keys; lists, tuples and numpy arrays become lists; numpy
    scalars become Python ``bool``, ``int`` or ``float``; a non-finite float (NaN, inf) becomes
    ``None`` (JSON ``null``); other numbers with a float value (e.g. SymPy numbers) become
    ``float``; ``None`` and strings stay; anything else becomes its ``str``.

    >>> jsonable({"a": np.float64("nan"), 1: (np.int64(2), np.inf), "b": np.array([0.5, 1.0])})
    {'a': None, '1': [2, None], 'b': [0.5, 1.0]}
    >>> import sympy
    >>> jsonable([np.bool_(True), -np.inf, "text", None, sympy.Rational(1, 4), sympy.Symbol("x")])
    [True, None, 'text', None, 0.25, 'x']
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return jsonable(number)


def null_reasons(value: Any, path: str = "", *, overflow: bool = False) -> dict[str, str]:
    """Why :func:`jsonable` writes ``null``: ``{JSON pointer: reason}`` for every non-finite
    number in ``value`` (the pointer as in RFC 6901, ``/key/0/key``).

    ``overflow=True`` says that an infinity in ``value`` stands for a finite number too large
    for a float (a moment of finite parameters), not for a true infinity.

    >>> null_reasons({"rhat": float("nan"), "z": [1.0, np.inf], "note": None})
    {'/rhat': 'not a number (undefined, e.g. 0/0 or a statistic of too few values)', \
'/z/1': '+infinity (JSON has none)'}
    >>> null_reasons({"variance_T": math.inf}, overflow=True)
    {'/variance_T': 'overflow: beyond the float range (magnitude above 1.8e308)'}
    """
    if value is None or isinstance(value, str | bool | np.bool_ | int | np.integer):
        return {}
    if isinstance(value, Mapping):
        out: dict[str, str] = {}
        for k, v in value.items():
            key = str(k).replace("~", "~0").replace("/", "~1")
            out.update(null_reasons(v, f"{path}/{key}", overflow=overflow))
        return out
    if isinstance(value, np.ndarray):
        return null_reasons(value.tolist(), path, overflow=overflow)
    if isinstance(value, list | tuple):
        out = {}
        for i, v in enumerate(value):
            out.update(null_reasons(v, f"{path}/{i}", overflow=overflow))
        return out
    try:
        number = float(value)
    except (TypeError, ValueError):
        return {}
    if math.isfinite(number):
        return {}
    if math.isnan(number):
        return {path: _REASONS["nan"]}
    return {path: _REASONS["overflow" if overflow else ("inf" if number > 0 else "-inf")]}
