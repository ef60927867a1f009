"""modelcollapse: model collapse as a random walk of the parameter estimate.

Families declared once (:mod:`modelcollapse.families`), schedules of sample
sizes (:mod:`modelcollapse.schedules`) and the symbolic theory (:mod:`modelcollapse.theory`).
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
