"""One JSON cleaner for every JSON object the package writes (``--json`` output, ``to_dict``
methods, ``results.json``).

JSON has no NaN or infinity and does not know numpy: :func:`jsonable` turns a nested value into
plain Python that :func:`json.dumps` writes with ``allow_nan=False``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["jsonable"]


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
