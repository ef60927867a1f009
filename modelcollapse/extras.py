"""The optional parts of the package and the one-line error when one is missing.

``pip install modelcollapse`` installs the lean core: the families, the symbolic theory and the
Monte Carlo engine (NumPy, SciPy, SymPy, xarray). Everything else is an extra of
``pip install "modelcollapse[EXTRA]"``, imported only by the code that needs it:

=============  ===========================================================================
``inference``  PyMC, PyTensor, ArviZ: ``infer``, :mod:`modelcollapse.inference`, figure F8
``nutpie``     the nutpie sampler (with ``inference``)
``data``       scikit-learn's bundled tables for the real-data study (F7)
``dask``       ``--backend dask``
=============  ===========================================================================

:func:`require` checks for an extra's modules without importing them, so a command fails with
:class:`MissingExtraError` before it has done any work or written any file.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence

__all__ = ["EXTRAS", "MissingExtraError", "missing", "require"]

#: the top-level modules each extra provides
EXTRAS: dict[str, tuple[str, ...]] = {
    "inference": ("pymc", "pytensor", "arviz"),
    "nutpie": ("nutpie",),
    "data": ("sklearn",),
    "dask": ("dask", "distributed"),
}


class MissingExtraError(ModuleNotFoundError):
    """``what`` needs extras that are not installed; the message names the install command.

    A :class:`ModuleNotFoundError` (``name`` is the first missing module), so code that already
    catches a missing import keeps working.

    Parameters
    ----------
    what : str
        The command or function that needs them, e.g. ``"infer"``.
    extras : sequence of str
        The missing extras, keys of :data:`EXTRAS`.
    modules : sequence of str
        The modules found missing.

    Examples
    --------
    >>> print(MissingExtraError("infer", ["inference"], ["pymc"]))
    'infer' needs the inference extra: pip install "modelcollapse[inference]"
    >>> print(MissingExtraError("reproduce", ["data", "inference"], ["sklearn", "pymc"]))
    'reproduce' needs the data and inference extras: pip install "modelcollapse[data,inference]"
    """

    def __init__(self, what: str, extras: Sequence[str], modules: Sequence[str]) -> None:
        self.what = what
        self.extras = tuple(extras)
        self.modules = tuple(modules)
        noun = "extra" if len(self.extras) == 1 else "extras"
        super().__init__(
            f"{what!r} needs the {' and '.join(self.extras)} {noun}: "
            f'pip install "modelcollapse[{",".join(self.extras)}]"',
            name=self.modules[0] if self.modules else None)


def _importable(module: str) -> bool:
    # a None entry in sys.modules is how Python marks a module as blocked; find_spec reads it
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(extra: str) -> tuple[str, ...]:
    """The modules of ``extra`` that cannot be imported here (empty when it is installed).

    Looks the modules up without importing them (importing PyMC takes seconds).

    Parameters
    ----------
    extra : str
        A key of :data:`EXTRAS`.

    Returns
    -------
    tuple of str
        The missing top-level module names, in the order of :data:`EXTRAS`.

    Raises
    ------
    ValueError
        When ``extra`` is not a key of :data:`EXTRAS`.

    Examples
    --------
    >>> missing("inference") == tuple(m for m in EXTRAS["inference"]
    ...                               if importlib.util.find_spec(m) is None)
    True
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; allowed: {', '.join(EXTRAS)}")
    return tuple(m for m in EXTRAS[extra] if not _importable(m))


def require(what: str, *extras: str) -> None:
    """Raise :class:`MissingExtraError` naming every extra of ``extras`` that is missing.

    Parameters
    ----------
    what : str
        The command or function that needs them (shown in the message).
    *extras : str
        Keys of :data:`EXTRAS`.

    Raises
    ------
    MissingExtraError
        When at least one module of the extras cannot be imported.
    ValueError
        When an extra is not a key of :data:`EXTRAS`.

    Examples
    --------
    >>> require("theory")  # the core needs no extra
    """
    lacking = {extra: missing(extra) for extra in extras}
    lacking = {extra: modules for extra, modules in lacking.items() if modules}
    if lacking:
        raise MissingExtraError(what, list(lacking),
                                [m for modules in lacking.values() for m in modules])
