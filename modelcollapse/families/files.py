r"""Family files: a user family declared in a few lines of TOML.

.. code-block:: toml

    name = "uniform-max"
    parameter = "theta"
    domain = "positive"
    kind = "scale"
    default = 1.0
    mean = "theta"
    variance = "theta**2/(n*(n + 2))"
    law = "theta * (n + 1)/n * Beta(n, 1)"

Keys: ``name``, ``parameter``, ``domain``, ``kind``, ``default``, ``min_size``, ``constants``
(a table ``NAME = number`` usable in the expressions), ``description`` (the family's title);
and either ``mean`` +
``variance`` (the moment map, :func:`~modelcollapse.families.custom.from_moment_map`) or
``log_density`` + ``support`` (+ ``variable``, default ``x``;
:func:`~modelcollapse.families.custom.from_log_density`); optionally ``law``, the exact
one-step law (:mod:`~modelcollapse.families.lawtext`), alone or beside either. Every text goes
through the whitelist parser; a bad key, type or expression is one ``ValueError`` line naming the
file and the key.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "lap.toml").write_text('name = "laplace-scale"\nparameter = "b"\n'
...     'domain = "positive"\nkind = "scale"\nlaw = "b * Gamma(n, 1) / n"\n')
>>> load(folder / "lap.toml").moment_map().variance
b**2/n
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import replace
from pathlib import Path

from modelcollapse.arguments import flag
from modelcollapse.families.custom import UserFamily, from_log_density, from_moment_map

__all__ = ["load", "loads", "KEYS", "MAX_BYTES"]

#: every key a family file may have, with the TOML type it must have
KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,), "parameter": (str,), "domain": (str,), "kind": (str,),
    "default": (int, float), "min_size": (int,), "constants": (dict,), "description": (str,),
    "mean": (str,), "variance": (str,), "log_density": (str,), "support": (list,),
    "variable": (str,), "law": (str,),
}
#: largest accepted family file (bytes): a declaration is a few lines
MAX_BYTES = 64 * 1024
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", dict: "a table",
               list: "an array"}


def _fail(path: Path | str, problem: str) -> ValueError:
    return ValueError(" ".join(f"family file {path}: {problem}".split()))


def _read(path: Path) -> str:
    try:
        info = path.stat()
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise _fail(path, "is not a regular file")
    if info.st_size > MAX_BYTES:
        raise _fail(path, f"is {info.st_size} bytes, more than the {MAX_BYTES} allowed")
    try:
        raw = path.read_bytes()[: MAX_BYTES + 1]
        text = raw.decode("utf-8")
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise _fail(path, "is not UTF-8 text") from None
    return text


def load(path: str | os.PathLike[str], *, register: bool = False) -> UserFamily:
    """The family declared in the TOML file ``path`` (module docstring): the same kind of
    object as :func:`from_moment_map` and :func:`from_log_density` return, with the file's
    text as its ``source`` (so a saved posterior or a simulation can rebuild it elsewhere).

    Raises ``ValueError`` with one line naming the file and the bad key or value.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or a path, got {type(path).__name__}")
    path = Path(path)
    return _declared(_read(path), path, register)


def loads(text: str, *, register: bool = False) -> UserFamily:
    """The family declared by the TOML ``text`` of a family file (for example the ``source``
    of a family :func:`load` read, as a saved posterior stores it).

    >>> loads('name = "laplace-scale"\\nparameter = "b"\\nlaw = "b * Gamma(n, 1) / n"\\n').name
    'laplace-scale'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise _fail("text", f"is more than the {MAX_BYTES} bytes allowed")
    return _declared(text, "text", register)


def _declared(text: str, path: Path | str, register: bool) -> UserFamily:
    register = flag("register", register)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"is not valid TOML ({exc})") from None
    for key, value in data.items():
        if key not in KEYS:
            raise _fail(path, f"unknown key {key!r}; allowed: {', '.join(KEYS)}")
        kinds = KEYS[key]
        if isinstance(value, bool) or not isinstance(value, kinds):
            want = " or ".join(_TYPE_NAMES[k] for k in kinds)
            raise _fail(path, f"key {key!r} must be {want}, got {value!r}"[:300])
    for required in ("name", "parameter"):
        if required not in data:
            raise _fail(path, f"missing key {required!r}")
    moment_map = "mean" in data or "variance" in data
    density = "log_density" in data
    if moment_map and density:
        raise _fail(path, "give either mean + variance or log_density, not both")
    stray = [k for k in ("support", "variable") if k in data and not density]
    if stray:
        raise _fail(path, f"key {stray[0]!r} belongs to a log_density family")
    if not (moment_map or density or "law" in data):
        raise _fail(path, "needs mean + variance, or log_density + support, or law")
    common = {k: data[k] for k in ("domain", "kind", "default", "min_size", "constants", "law",
                                   "description") if k in data}
    try:
        if density:
            if "support" in data and len(data["support"]) != 2:
                raise ValueError(f"support must be an array of two bounds, got "
                                 f"{data['support']!r}")
            extra = {k: data[k] for k in ("variable",) if k in data}
            if "support" in data:
                extra["support"] = tuple(str(b) for b in data["support"])
            family = from_log_density(data["name"], parameter=data["parameter"],
                                      log_density=data["log_density"], **common, **extra)
        else:
            if moment_map and not ("mean" in data and "variance" in data) and "law" not in data:
                raise ValueError("mean and variance must be given together")
            family = from_moment_map(data["name"], parameter=data["parameter"],
                                     mean=data.get("mean"), variance=data.get("variance"),
                                     **common)
    except (ValueError, TypeError) as exc:
        raise _fail(path, str(exc)) from None
    family = replace(family, source=text)
    if register:
        from modelcollapse.families import register as _register

        _register(family)
    return family
