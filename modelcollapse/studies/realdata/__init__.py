r"""The real-data study: recursive refitting of a regression model on its own synthetic
responses, on real tables (figure F7 of ``modelcollapse reproduce``).

* :mod:`~modelcollapse.studies.realdata.fitters`: batched logistic and linear fits;
* :mod:`~modelcollapse.studies.realdata.tables`: the bundled tables and user CSV files;
* :mod:`~modelcollapse.studies.realdata.study`: the recursion and its asymptotic theory
  (:func:`run_realdata`, :class:`RealDataResult`);
* :mod:`~modelcollapse.studies.realdata.figure`: figure F7 and its CSV table
  (:func:`figure_realdata`).
"""

from modelcollapse.studies.realdata.figure import F7_STEM, figure_realdata
from modelcollapse.studies.realdata.fitters import SeparationError, fit_linear, fit_logistic
from modelcollapse.studies.realdata.study import (
    DEGENERATE_ETA,
    LOGISTIC_RIDGE,
    SCHEDULES,
    VARIANTS,
    RealDataResult,
    run_realdata,
)
from modelcollapse.studies.realdata.tables import (
    BREAST_CANCER_FEATURES,
    DATASETS,
    Table,
    load_table,
)

__all__ = [
    "run_realdata",
    "figure_realdata",
    "RealDataResult",
    "Table",
    "load_table",
    "fit_logistic",
    "fit_linear",
    "SeparationError",
    "DATASETS",
    "SCHEDULES",
    "VARIANTS",
    "BREAST_CANCER_FEATURES",
    "LOGISTIC_RIDGE",
    "DEGENERATE_ETA",
    "F7_STEM",
]
