"""modelcollapse: model collapse as a random walk of the parameter estimate.

Families declared once (:mod:`modelcollapse.families`), schedules of sample
sizes (:mod:`modelcollapse.schedules`) and the symbolic theory (:mod:`modelcollapse.theory`).

``pip install modelcollapse`` is the lean core (theory and simulation); PyMC and ArviZ come with
the ``inference`` extra (:mod:`modelcollapse.extras`). Importing this package imports nothing
else: each subpackage loads when it is used.
"""

from __future__ import annotations

# the one place the version is written: pyproject.toml reads it (tool.setuptools.dynamic), so
# the installed metadata, ``modelcollapse --version`` and every JSON ``version`` agree
__version__ = "0.1.0"
__all__ = ["__version__"]
