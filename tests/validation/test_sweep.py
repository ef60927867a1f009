"""simulate's Datasets describe themselves (long_name, units, description, version), and a
sweep over schedules or other arguments returns one Dataset whose cells are the single runs."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest
import xarray as xr

from modelcollapse.families import Bias
from modelcollapse.schedules import Schedule
from modelcollapse.validation import simulate

SMALL = {"T": 8, "reps": 300, "seed": 3, "progress": False}


def _described(ds: xr.Dataset) -> None:
    for name in ds.data_vars:  # quantities: units too
        assert ds[name].attrs.get("units"), f"{name} has no units"
    for name in (*ds.data_vars, *ds.coords):  # coordinates are indices or labels
        attrs = ds[name].attrs
        for key in ("long_name", "description"):
            assert attrs.get(key), f"{name} has no {key}"
    assert ds.attrs["version"] == importlib.metadata.version("modelcollapse")


def test_every_variable_is_described_and_survives_netcdf(tmp_path) -> None:
    ds = simulate("gaussian", trajectories=True, **SMALL)
    _described(ds)
    path = tmp_path / "run.nc"
    ds.to_netcdf(path)
    with xr.open_dataset(path) as back:
        _described(back)
        assert back["variance"].attrs["units"] == "(as the parameter)^2"


def test_schedule_list_is_a_sweep_of_single_runs() -> None:
    plans = ["n0", Schedule("n0*t**2", n0=20)]
    grid = simulate("gaussian-variance", schedule=plans, **SMALL)
    assert grid["schedule"].values.tolist() == ["n0, n0=100", "n0*t**2, n0=20"]
    _described(grid)
    for plan, label in zip(plans, grid["schedule"].values, strict=True):
        single = simulate("gaussian-variance", schedule=plan, **SMALL)
        cell = grid.sel(schedule=label)
        for name in ("n", "mean", "variance", "median", "collapsed_fraction", "final"):
            np.testing.assert_array_equal(cell[name].values, single[name].values)
    assert "schedule" not in grid.attrs  # differs between runs
    assert grid.attrs["family"] == "gaussian-variance"


def test_two_dimensional_sweep() -> None:
    biases = [None, Bias(2.0, 0.5)]
    grid = simulate("exponential", sweep={"schedule": ["n0", "n0*t"], "bias": biases},
                    **SMALL)
    assert dict(grid["mean"].sizes) == {"schedule": 2, "bias": 2, "t": 9, "component": 1}
    assert grid["bias"].values.tolist() == ["none", "kappa=2, alpha=0.5"]
    single = simulate("exponential", schedule="n0*t", bias=biases[1], **SMALL)
    np.testing.assert_array_equal(
        grid["mean"].sel(schedule="n0*t, n0=100", bias="kappa=2, alpha=0.5").values,
        single["mean"].values)


def test_parameter_sweep_labels_and_truth() -> None:
    grid = simulate("gaussian-variance", sweep={"params": [{"sigma2": 1.0}, {"sigma2": 4.0}]},
                    **SMALL)
    assert grid["params"].values.tolist() == ["sigma2=1", "sigma2=4"]
    assert grid["truth"].sel(component="sigma2").values.tolist() == [1.0, 4.0]


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"sweep": {"T": [5, 10]}}, ValueError, "cannot sweep 'T'"),
    ({"sweep": {"schedule": "n0"}}, TypeError, "non-empty list"),
    ({"sweep": {"schedule": []}}, TypeError, "non-empty list"),
    ({"sweep": {"schedule": ["n0", "n0"]}}, ValueError, "repeats"),
    ({"sweep": {}}, TypeError, "non-empty dict"),
    ({"schedule": ["n0"], "sweep": {"bias": [None]}}, TypeError, "not both"),
])
def test_bad_sweeps(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        simulate("gaussian-variance", **{**SMALL, **kwargs})
