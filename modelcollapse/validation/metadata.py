"""Self-describing simulation results: ``long_name``, ``units`` and ``description`` on every
variable and coordinate of a :func:`~modelcollapse.validation.simulate` Dataset, and the
library's ``version`` on the Dataset, so a saved file (``to_netcdf``) says what it holds and
plots label their axes (xarray writes ``long_name [units]``).

Units follow the CF conventions (``"1"`` for a fraction); an estimate has the units of its
parameter (``"as the parameter"``, squared for a variance). Coordinates are indices or labels
(generation, replication, component, a sweep's labels): they have no units, so plots do not
print ``[1]`` after them.
"""

from __future__ import annotations

import importlib.metadata

import xarray as xr

__all__ = ["VARIABLES", "describe", "library_version"]

_PARAM = "as the parameter"
#: name -> (long_name, units or None for an index or label, description)
VARIABLES: dict[str, tuple[str, str | None, str]] = {
    "t": ("generation", None, "generation t = 0..T; generation 0 is fitted on real data"),
    "component": ("parameter component", None, "the parameter (or coordinate) estimated"),
    "rep": ("replication", None, "index of one independent walk"),
    "n": ("sample size", "points", "points fitted at generation t, n_t of the schedule"),
    "mean": ("mean of the estimate", _PARAM,
             "mean across replications of the estimate at generation t"),
    "variance": ("variance of the estimate", f"({_PARAM})^2",
                 "variance across replications of the estimate at generation t"),
    "median": ("median of the estimate", _PARAM,
               "exact median across replications at the recorded generations, NaN elsewhere"),
    "q05": ("5% quantile of the estimate", _PARAM,
            "exact 5% quantile across replications at the recorded generations, NaN elsewhere"),
    "q95": ("95% quantile of the estimate", _PARAM,
            "exact 95% quantile across replications at the recorded generations, NaN "
            "elsewhere"),
    "collapsed_fraction": ("fraction collapsed", "1",
                           "fraction of replications collapsed at generation t: a scale below "
                           "threshold times its true value, a rate above true/threshold, a "
                           "probability fixed at 0 or 1, a count rate at 0"),
    "truth": ("true value", _PARAM, "the true parameter value the walk starts from"),
    "final": ("estimate at T", _PARAM, "each replication's estimate at the last generation"),
    "trajectory": ("estimate", _PARAM, "each replication's estimate at every generation"),
}


def library_version() -> str:
    """``modelcollapse.__version__``, else the installed distribution's version.

    >>> library_version() == importlib.metadata.version("modelcollapse")
    True
    """
    import modelcollapse

    found = getattr(modelcollapse, "__version__", None)
    return str(found) if found else importlib.metadata.version("modelcollapse")


def describe(ds: xr.Dataset, extra: dict[str, tuple[str, str | None, str]] | None = None
             ) -> xr.Dataset:
    """Set ``long_name``, ``units`` (where it has some) and ``description`` on every variable
    and coordinate of ``ds`` that :data:`VARIABLES` (or ``extra``) names, and ``version`` on
    ``ds``; in place, returned for chaining.

    >>> ds = describe(xr.Dataset({"n": ("t", [10, 20])}, coords={"t": [0, 1]}))
    >>> ds["n"].attrs["units"], ds["t"].attrs["long_name"], "version" in ds.attrs
    ('points', 'generation', True)
    """
    table = {**VARIABLES, **(extra or {})}
    for name in (*ds.data_vars, *ds.coords):
        if name in table:
            long_name, units, description = table[str(name)]
            ds[name].attrs.update(long_name=long_name, description=description)
            if units is not None:
                ds[name].attrs["units"] = units
    ds.attrs["version"] = library_version()
    return ds
