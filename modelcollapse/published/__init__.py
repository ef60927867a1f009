r"""Published closed-form results on model collapse, each reproduced by one call.

Every entry is a :class:`PublishedResult`: the citation, the paper's formula in the paper's
own indexing, how that index maps to ours (generation 0 is the fit on the real data, so a
paper's "t generations" with the real-data fit counted as the first is our :math:`T = t - 1`),
the one Python call and the one command that print the number, and a function computing it
through the library's public engines (:func:`modelcollapse.theory.derive`,
:mod:`modelcollapse.theory.absorption`, :mod:`modelcollapse.validation.improvement`) for any
schedule. Where the paper states a formula or a bound of its own, :func:`reproduce` also
evaluates it as printed (``paper_value``) and says whether the exact value satisfies it.

>>> from modelcollapse import published
>>> r = published.reproduce("shumailov2024")
>>> r.value
0.0175
>>> r.holds
True
>>> "he-xu-cheng2025" in published.keys()
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelcollapse.schedules import Schedule

__all__ = ["PublishedResult", "Reproduction", "list", "keys", "get", "reproduce", "as_schedule"]

_list = list  # the module exports its own `list`


@dataclass(frozen=True)
class Reproduction:
    """One published result evaluated: the library's exact ``value`` and, where the paper
    states a formula or a bound, that formula evaluated as printed (``paper_value``) with the
    ``relation`` ``value RELATION paper_value`` and whether it ``holds``."""

    key: str
    title: str
    quantity: str
    value: float
    paper_value: float | None
    relation: str
    holds: bool | None
    arguments: dict[str, Any]
    python_call: str
    cli: str
    extra: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``modelcollapse published KEY --json`` (``T`` null for
        :math:`T = \\infty`, as in ``derive --json``)."""
        arguments = {k: None if k == "T" and _infinite(v) else v
                     for k, v in self.arguments.items()}
        return {"key": self.key, "title": self.title, "quantity": self.quantity,
                "value": self.value, "paper_value": self.paper_value,
                "relation": self.relation, "holds": self.holds,
                "arguments": arguments, "python_call": self.python_call,
                "cli": self.cli, "extra": dict(self.extra), "notes": _list(self.notes)}

    def __str__(self) -> str:
        args = ", ".join(f"{k} = {v}" for k, v in self.arguments.items())
        lines = [f"{self.key}: {self.title}", f"  {self.quantity} = {_fmt(self.value)}"
                 f"  ({args})"]
        if self.paper_value is not None:
            verdict = {True: "holds", False: "FAILS", None: "not checked"}[self.holds]
            lines.append(f"  paper's formula: {_fmt(self.paper_value)}  "
                         f"(value {self.relation} paper: {verdict})")
        elif self.holds is not None:
            lines.append(f"  claim {'holds' if self.holds else 'FAILS'}")
        for k, v in self.extra.items():
            lines.append(f"  {k:<24} {_fmt(v)}")
        lines.append(f"  python: {self.python_call}")
        lines.append(f"  cli:    {self.cli}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        return (rf"$\text{{{self.key}}}:\ {self.quantity.replace('_', ' ')} = "
                rf"{_fmt(self.value)}$")


def _infinite(value: Any) -> bool:
    return isinstance(value, float) and math.isinf(value)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


@dataclass(frozen=True)
class PublishedResult:
    """A published result: its citation, formula, index mapping, calls and the function that
    computes it through the library's engines.

    ``compute(schedule, T, **options)`` returns a dict with ``value`` and optionally
    ``paper_value``, ``holds``, ``extra``, ``notes``; ``defaults`` holds the arguments of the
    documented call (``n0``, ``schedule``, ``T`` and the entry's ``options``).
    """

    key: str
    title: str
    citation: str
    paper_formula: str
    index_mapping: str
    quantity: str
    python_call: str
    cli: str
    json_key: str
    relation: str
    defaults: Mapping[str, Any]
    compute: Callable[..., dict[str, Any]]

    @property
    def options(self) -> tuple[str, ...]:
        """The entry's own arguments besides ``n0``, ``schedule`` and ``T``."""
        return tuple(k for k in self.defaults if k not in ("n0", "schedule", "T"))


def as_schedule(schedule: Schedule | str | Sequence[int] | None, n0: int = 100) -> Schedule:
    """A :class:`~modelcollapse.schedules.Schedule` from an expression, explicit sizes
    (a sequence of integers or their comma-separated text ``"100,200,400"``) or a Schedule.

    >>> as_schedule("100,200,400").sizes(2).tolist()
    [100, 200, 400]
    >>> as_schedule("n0*t", 10).sizes(2).tolist()
    [10, 10, 20]
    >>> as_schedule("max(n0, 2*n0*t)", 10).sizes(2).tolist()
    [10, 20, 40]
    """
    if isinstance(schedule, Schedule):
        return schedule
    if schedule is None:
        return Schedule("n0", n0=n0)
    if isinstance(schedule, str):
        return Schedule.from_text(schedule, n0=n0)
    if isinstance(schedule, Sequence):
        return Schedule.from_sizes(_list(schedule))
    raise TypeError(f"schedule must be a Schedule, an expression, or explicit sizes, "
                    f"got {schedule!r}")


def _registry() -> dict[str, PublishedResult]:
    from modelcollapse.published.entries import ENTRIES

    return {entry.key: entry for entry in ENTRIES}


def keys() -> _list[str]:
    """The keys of every entry, in the guide's order."""
    return _list(_registry())


def list() -> _list[PublishedResult]:  # noqa: A001 - the documented name, published.list()
    """Every entry, in the guide's order."""
    return _list(_registry().values())


def get(key: str) -> PublishedResult:
    """The entry ``key`` (see :func:`keys`); ValueError naming the allowed keys otherwise.

    >>> get("bertrand2024").relation
    '='
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be a string, got {type(key).__name__}")
    found = _registry().get(key)
    if found is None:
        raise ValueError(f"unknown published result {key!r}; allowed: {', '.join(keys())}")
    return found


def reproduce(key: str, **kwargs: Any) -> Reproduction:
    r"""Evaluate the published result ``key`` through the library's engines.

    Keyword arguments override the entry's documented call: ``n0``, ``schedule`` (an
    expression, explicit sizes or a :class:`~modelcollapse.schedules.Schedule`), ``T``
    (``math.inf`` where the entry allows a limit) and the entry's own options
    (:attr:`PublishedResult.options`).

    Examples
    --------
    >>> r = reproduce("bertrand2024", n0=10, T=4)
    >>> round(r.value, 6)  # E sigma_hat_T = alpha(10)^5 sigma
    0.87057
    >>> round(reproduce("he-xu-cheng2025").paper_value, 15)  # 1/phi
    0.618033988749895
    """
    entry = get(key)
    unknown = sorted(set(kwargs) - set(entry.defaults))
    if unknown:
        raise ValueError(f"unknown argument {unknown[0]!r} for {key}; allowed: "
                         f"{', '.join(entry.defaults)}")
    args = {**entry.defaults, **kwargs}
    schedule = as_schedule(args["schedule"], args["n0"])
    default_sizes = "schedule" not in kwargs and schedule.sizes_given is not None
    if "n0" in kwargs and kwargs["n0"] != schedule.n0:  # sizes or a Schedule carry their n0
        raise ValueError(f"n0 = {kwargs['n0']} disagrees with the schedule's n0 = "
                         f"{schedule.n0}" + (_default_sizes(key, schedule) if default_sizes
                                             else ""))
    T = args["T"]
    options = {k: _like(k, args[k], entry.defaults[k]) for k in entry.options}
    found = entry.compute(schedule, T, **options)
    shown = {"n0": schedule.n0, "schedule": _schedule_text(schedule), "T": T, **options}
    python_call, cli = entry.python_call, entry.cli
    if kwargs:  # the call for these arguments, not the documented one
        given = {k: shown[k] for k in kwargs}
        python_call = f"published.reproduce({key!r}, " + ", ".join(
            f"{k}={'math.inf' if _infinite(v) else repr(v)}" for k, v in given.items()) + ")"
        cli = f"modelcollapse published {key}" + "".join(
            f" --{k} {_shell(v)}" if k in ("n0", "schedule", "T") else
            f" --param {k}={_shell(v)}" for k, v in given.items())
    return Reproduction(entry.key, entry.title, entry.quantity, found["value"],
                        found.get("paper_value"), entry.relation, found.get("holds"), shown,
                        python_call, cli, found.get("extra", {}),
                        tuple(found.get("notes", ())))


def _default_sizes(key: str, schedule: Schedule) -> str:
    return (f"; the default schedule of {key} is a list of sizes ({_schedule_text(schedule)}): "
            "pass --schedule (schedule=) with an expression such as 'n0*t'")


def _shell(value: Any) -> str:
    """A value as the command line takes it (vectors comma-separated, quoted if needed)."""
    text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
    return text if text.replace(",", "").replace(".", "").replace("_", "").isalnum() \
        else f'"{text}"'


def _like(name: str, value: Any, default: Any) -> Any:
    """``value`` in the kind of the documented ``default``: the command line gives numbers as
    floats and one-element vectors as a number."""
    if isinstance(default, tuple):
        items = tuple(value) if isinstance(value, tuple | _list) else (value,)
        # checked here: derive turns a one-element vector into float('abc') and its
        # message would not name the argument
        bad = [v for v in items if isinstance(v, bool) or not isinstance(v, numbers.Real)]
        if bad:
            raise TypeError(f"{name} takes numbers, a vector such as {_shell(default)}, "
                            f"got {bad[0]!r}")
        return items
    if isinstance(default, int) and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(default, str) and not isinstance(value, str):
        raise TypeError(f"{name} takes a word such as {default!r}, got {value!r}")
    return tuple(value) if isinstance(value, _list) else value


def _schedule_text(schedule: Schedule) -> str:
    if schedule.text is not None:
        return schedule.text
    return ",".join(str(n) for n in schedule.sizes_given)
