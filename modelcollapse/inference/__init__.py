"""Bayesian analysis of collapse under uncertain bias.

* :mod:`~modelcollapse.inference.data`: observed trajectories, read and validated
  (:func:`load_trajectories`, :func:`from_simulation`, :class:`Trajectories`);
* :mod:`~modelcollapse.inference.model`: the PyMC model (:func:`build_model`, :class:`Priors`,
  :func:`set_data`);
* :mod:`~modelcollapse.inference.fit`: sampling and diagnostics (:func:`fit_bias`,
  :class:`BiasPosterior`, :class:`ConvergenceWarning`);
* :mod:`~modelcollapse.inference.answers`: collapse probabilities and the required growth from
  draws of (kappa, alpha).

Names are imported on first use, so ``from modelcollapse.inference import load_trajectories``
does not import PyMC (only the model and the fit do); without the ``inference`` extra, asking for
a name that needs PyMC raises :class:`~modelcollapse.extras.MissingExtraError`, one line naming
the install command.
"""

from __future__ import annotations

import importlib
from typing import Any

from modelcollapse.extras import require

_EXPORTS = {
    "Trajectories": "data", "Trajectory": "data", "load_trajectories": "data",
    "from_simulation": "data",
    "Priors": "model", "Statistics": "model", "build_model": "model", "set_data": "model",
    "sufficient_statistics": "model",
    "fit_bias": "fit", "BiasPosterior": "fit", "ConvergenceWarning": "fit",
    "sbc": "calibration", "recovery_grid": "calibration", "SBCResult": "calibration",
    "Design": "design", "expected_widths": "design", "compare_designs": "design",
}
#: submodules whose ``__all__`` is re-exported as well (numpy only)
_ALSO = ("answers",)
#: submodules that import nothing of the inference extra
_LEAN = ("data", "answers")

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        if _EXPORTS[name] not in _LEAN:
            require(name, "inference")
        module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
        return getattr(module, name)
    if not name.startswith("_"):
        for sub in _ALSO:
            module = importlib.import_module(f"{__name__}.{sub}")
            if name in getattr(module, "__all__", ()):
                return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
