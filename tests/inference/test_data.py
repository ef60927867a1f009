"""Reading and validating observed trajectories (modelcollapse.inference.data)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from modelcollapse.families import Bias
from modelcollapse.inference.data import Trajectories, from_simulation, load_trajectories
from modelcollapse.schedules import Schedule
from modelcollapse.validation import simulate

GOOD = "t,n,estimate,trajectory\n0,20,1.0,a\n1,20,0.9,a\n2,40,0.85,a\n0,10,2.0,b\n1,30,1.7,b\n"


def write(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_csv_with_trajectories_of_different_lengths(tmp_path):
    tr = load_trajectories(write(tmp_path, GOOD))
    assert isinstance(tr, Trajectories)
    assert tr.ids == ["a", "b"] and len(tr) == 2 and tr.n_transitions == 3
    a, b = tr
    assert a.t.tolist() == [0, 1, 2] and b.n.tolist() == [10, 30]
    steps = tr.transitions()
    assert steps["previous"].tolist() == [1.0, 0.9, 2.0]
    assert steps["current"].tolist() == [0.9, 0.85, 1.7]
    assert steps["n"].tolist() == [20, 40, 30]
    assert tr.family == "gaussian-variance"


def test_the_three_sources_agree(tmp_path):
    from_csv = load_trajectories(write(tmp_path, GOOD))
    frame = pd.read_csv(tmp_path / "data.csv")
    from_frame = load_trajectories(frame)
    from_dict = load_trajectories({k: frame[k].to_numpy() for k in frame.columns})
    for other in (from_frame, from_dict, load_trajectories(from_csv)):
        for key in ("t", "n", "estimate"):
            np.testing.assert_array_equal(getattr(other, key), getattr(from_csv, key))
        assert other.ids == ["a", "b"]


def test_without_trajectory_column_is_one_trajectory_and_extra_columns_are_ignored(tmp_path):
    tr = load_trajectories(write(tmp_path, "t,n,estimate,note\n0,5,1,x\n1,5,2,y\n2,6,1.5,z\n"))
    assert len(tr) == 1 and tr.n_transitions == 2


def test_interleaved_trajectories_are_grouped(tmp_path):
    text = "trajectory,t,n,estimate\n1,0,5,1\n2,0,5,1\n1,1,5,2\n2,1,5,3\n"
    tr = load_trajectories(write(tmp_path, text))
    assert tr.ids == ["1", "2"]  # ids from a file stay text
    assert tr.estimate.tolist() == [1, 2, 1, 3]


BAD = [
    ("", r"^data.csv: the file is empty; expected a header with the columns t, n, estimate"),
    ("t,n,estimate\n", r"^data.csv: no data rows"),
    ("t,estimate\n0,1\n", r"^data.csv: missing column 'n'; the columns are t, n, estimate"),
    ("a,b\n1,2\n", r"^data.csv: missing columns 't', 'n', 'estimate'"),
    ("t,n,estimate\n0,5,1\n1,,2\n", r"^data.csv: row 2, column 'n': missing value$"),
    ("t,n,estimate\n0,5,1\n1,5,abc\n", r"^data.csv: row 2, column 'estimate': 'abc' is not a "
                                        r"number$"),
    ("t,n,estimate\n0,5,1\n1,5,inf\n", r"row 2, column 'estimate': inf is not a finite number"),
    ("t,n,estimate\n0,5.5,1\n1,5,1\n", r"^data.csv: row 1, column 'n': 5.5 is not an integer$"),
    ("t,n,estimate\n0,5,1\n1,5,0\n", r"^data.csv: row 2, column 'estimate': 0 is not positive; "
                                      r"sigma2 of gaussian-variance is > 0$"),
    ("t,n,estimate\n0,5,1\n1,5,-2\n", r"row 2, column 'estimate': -2 is not positive"),
    ("t,n,estimate\n0,5,1\n1,1,2\n", r"^data.csv: row 2, column 'n': 1 is below the smallest "
                                      r"sample size of gaussian-variance \(2\)$"),
    ("t,n,estimate\n1,5,1\n2,5,2\n", r"^data.csv: row 1, column 't': trajectory 0 starts at "
                                      r"t = 1; expected 0"),
    ("t,n,estimate\n0,5,1\n2,5,2\n", r"^data.csv: row 2, column 't': expected t = 1 \(trajectory"
                                      r" 0 continues from t = 0\), got 2$"),
    ("t,n,estimate\n0,5,1\n1,5,2\n1,5,2\n", r"row 3, column 't': expected t = 2"),
    ("t,n,estimate\n1,5,1\n0,5,2\n", r"row 1, column 't': trajectory 0 starts at t = 1"),
    ("t,n,estimate,trajectory\n0,5,1,a\n1,5,1,a\n0,5,1,b\n",
     r"^data.csv: row 3, column 'trajectory': trajectory 'b' has a single row \(t = 0\)"),
    ("t,n,estimate,trajectory\n0,5,1,a\n1,5,1,\n", r"row 2, column 'trajectory': missing value"),
    ("t,n,estimate\n0,5,1\n1,5,1,7\n", r"^data.csv: row 2: 4 cells for 3 columns$"),
    # float() takes these, the command line's number options do not: '１.０' was 1.0, '1_0' 10
    ("t,n,estimate\n0,5,1\n1,5,\uff11.\uff10\n",
     r"^data.csv: row 2, column 'estimate': '\uff11.\uff10' is not a number; allowed: ASCII "
     r"decimal numbers such as 20, -0.5, 1e3 \(no '_' separators\)$"),
    ("t,n,estimate\n0,\uff15,1\n1,5,1\n", r"^data.csv: row 1, column 'n': '\uff15' is not a "
                                           r"number; allowed"),
    ("t,n,estimate\n0,1_0,1\n1,5,1\n", r"^data.csv: row 1, column 'n': '1_0' is not a number; "
                                        r"allowed"),
    ("t,n,estimate\n0,5,1\n1,5,0_5\n", r"row 2, column 'estimate': '0_5' is not a number"),
    # judged before the float: 2**53 + 1 and 2**53 + 1/2 both round to the float 2**53
    ("t,n,estimate\n0,9007199254740993,1\n1,5,1\n",
     r"^data.csv: row 1, column 'n': 9007199254740993 is out of range; allowed: integers of "
     r"magnitude up to 2\*\*53 = 9007199254740992$"),
    ("t,n,estimate\n0,5,1\n1,9007199254740992.5,1\n", r"row 2, column 'n': 9007199254740992.5 "
                                                       r"is out of range"),
    ("t,n,estimate\n0,5,1\n1,5.0000000000000001,1\n",
     r"row 2, column 'n': 5.0000000000000001 is not an integer$"),
]


def test_ordinary_number_forms_are_read(tmp_path):
    text = "t,n,estimate\n 0 , 1e1 ,-0.5\n1.0,+20, 1E0 \n2,9007199254740992,.5\n"
    tr = load_trajectories(write(tmp_path, text), family="gaussian-mean")
    assert tr.t.tolist() == [0, 1, 2]
    assert tr.n.tolist() == [10, 20, 2**53]
    assert tr.estimate.tolist() == [-0.5, 1.0, 0.5]


def test_integers_beyond_2_53_from_a_mapping_are_refused():
    for n in (2**53 + 1, np.int64(2**53 + 1)):
        with pytest.raises(ValueError, match=r"^row 1, column 'n': 9007199254740993 is out of "
                                             r"range"):
            load_trajectories({"t": [0, 1], "n": [n, 5], "estimate": [1.0, 1.0]})


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_files_give_one_line_messages_naming_row_and_column(tmp_path, text, message):
    with pytest.raises(ValueError, match=message) as info:
        load_trajectories(write(tmp_path, text))
    assert "\n" not in str(info.value)


def test_row_numbers_are_data_rows_even_with_blank_lines(tmp_path):
    with pytest.raises(ValueError, match=r"row 3, column 'estimate'"):
        load_trajectories(write(tmp_path, "t,n,estimate\n0,5,1\n\n1,5,x\n"))


@pytest.mark.parametrize(
    ("family", "rows", "message"),
    [
        ("exponential", "0,3,1\n1,2,1\n", r"row 2, column 'n': 2 is below the smallest sample "
                                           r"size of exponential \(3\)"),
        ("poisson", "0,1,1\n1,1,-1\n", r"row 2, column 'estimate': -1 is negative; lam of "
                                        r"poisson is >= 0"),
        ("poisson", "0,4,0.5\n1,4,0.3\n", r"row 2, column 'estimate': n \* estimate = 1.2 is "
                                           r"not a whole count"),
        ("poisson", "0,4,0.5\n1,4,0\n2,4,0.25\n", r"row 3, column 'estimate': 0.25 after 0 at "
                                                   r"t = 1; 0 is absorbing for poisson"),
    ],
)
def test_family_rules(tmp_path, family, rows, message):
    with pytest.raises(ValueError, match=message):
        load_trajectories(write(tmp_path, "t,n,estimate\n" + rows), family=family)


def test_family_rules_accept_what_they_should(tmp_path):
    tr = load_trajectories(write(tmp_path, "t,n,estimate\n0,1,3\n1,1,0\n2,1,0\n"),
                           family="poisson")
    assert tr.estimate.tolist() == [3, 0, 0]
    tr = load_trajectories({"t": [0, 1], "n": [1, 1], "estimate": [-1.5, 2.0]},
                           family="gaussian-mean")
    assert tr.family == "gaussian-mean"


@pytest.mark.parametrize(
    ("family", "message"),
    [("bernoulli", r"bias of order n\^-alpha is defined for location, scale and rate "
                   r"parameters; p of bernoulli is a probability"),
     ("gaussian", r"inference needs a family with one scalar parameter; gaussian has mu, sigma2"),
     ("nope", r"unknown family 'nope'")],
)
def test_unsupported_families(family, message):
    with pytest.raises(ValueError, match=message):
        load_trajectories({"t": [0, 1], "n": [5, 5], "estimate": [0.5, 0.5]}, family=family)


def test_dataframe_and_mapping_errors_name_positions():
    frame = pd.DataFrame({"t": [0, 1, 2], "n": [5, 5, 5], "estimate": [1.0, np.nan, 1.0]})
    with pytest.raises(ValueError, match=r"^row 2, column 'estimate': missing value$"):
        load_trajectories(frame)
    with pytest.raises(ValueError, match=r"^columns of different lengths: t 2, n 1, estimate 2$"):
        load_trajectories({"t": [0, 1], "n": [5], "estimate": [1, 1]})
    with pytest.raises(ValueError, match=r"row 1, column 't': True is not a number"):
        load_trajectories({"t": [True, 1], "n": [5, 5], "estimate": [1, 1]})
    with pytest.raises(TypeError, match=r"not int"):
        load_trajectories(3)


def test_unreadable_path(tmp_path):
    with pytest.raises(ValueError, match=r"^cannot read .*missing.csv: No such file"):
        load_trajectories(tmp_path / "missing.csv")


def test_from_simulation_keeps_sizes_and_values():
    ds = simulate("gaussian-variance", schedule=Schedule("n0*t", n0=10), T=4, reps=5, seed=3,
                  bias=Bias(1, 1), trajectories=True, progress=False)
    tr = from_simulation(ds, reps=[1, 3])
    assert tr.ids == [1, 3] and tr.n_transitions == 8
    np.testing.assert_array_equal(tr[1].estimate, ds["trajectory"].sel(rep=3).values[:, 0])
    np.testing.assert_array_equal(tr[0].n, ds["n"].values)
    assert len(from_simulation(ds)) == 5 and len(from_simulation(ds, 2)) == 2
    with pytest.raises(ValueError, match="simulate with trajectories=True"):
        from_simulation(ds.drop_vars("trajectory"))
    with pytest.raises(ValueError, match="reps must be between 1 and 5, got 9"):
        from_simulation(ds, 9)


def test_from_simulation_of_a_sweep_or_an_unknown_family_says_what_to_do():
    grid = simulate("gaussian-variance", schedule=["n0", "n0*t"], T=3, reps=2,
                    trajectories=True, progress=False)
    with pytest.raises(ValueError, match=r"^the Dataset is a sweep over 'schedule' \(2 runs\); "
                                         r"select one run first, e\.g\. ds\.isel\(schedule=0\)$"):
        from_simulation(grid)
    assert len(from_simulation(grid.isel(schedule=1))) == 2
    ds = simulate("gaussian-variance", T=3, reps=2, trajectories=True, progress=False)
    ds.attrs["family"] = "made-in-another-session"
    with pytest.raises(ValueError, match="not registered here; pass family="):
        from_simulation(ds)


def test_data_module_does_not_import_pymc():
    code = ("import sys, modelcollapse, modelcollapse.inference\n"
            "from modelcollapse.inference import load_trajectories\n"
            "assert 'pymc' not in sys.modules and 'pytensor' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
