"""Design help (modelcollapse.inference.design): expected posterior widths of a proposed
design, and why a spread of sample sizes identifies kappa."""

from __future__ import annotations

import numpy as np
import pytest

from modelcollapse.inference.design import (
    Design,
    DesignReport,
    compare_designs,
    expected_widths,
    format_designs,
)

pytestmark = [
    # pip-installed PyTensor finds no BLAS when it compiles C code: a note on speed (these
    # models use no matrix products), emitted by pytensor.link.c.cmodule
    pytest.mark.filterwarnings("ignore:PyTensor could not link to a BLAS:UserWarning"),
]

#: the same 150 transitions; sizes from 20 to 1200, or all near 600
SPREAD = Design(5, 30, (20, 60, 200, 600, 1200))
NARROW = Design(5, 30, (550, 600, 650))


@pytest.fixture(scope="module")
def reports():
    return compare_designs([SPREAD, NARROW], kappa=2.0, alpha=0.5, replications=3, seed=0,
                           draws=500, tune=500)


def test_spread_of_sizes_tightens_kappa(reports):
    spread, narrow = reports
    # one n only fixes kappa n^-alpha: alpha stays near its prior and kappa is loose;
    # with the sizes spread, kappa's interval is many times narrower
    assert spread.kappa_width < narrow.kappa_width / 2, format_designs(reports)
    assert spread.alpha_width < narrow.alpha_width / 2, format_designs(reports)
    assert np.all(spread.kappa_widths > 0)


def test_report_forms(reports):
    spread = reports[0]
    assert isinstance(spread, DesignReport)
    d = spread.to_dict()
    assert d["transitions"] == 150 and d["replications"] == 3
    assert d["kappa_width"] == pytest.approx(spread.kappa_widths.mean())
    assert d["sizes"][:3] == [20, 60, 200]
    lines = format_designs(reports).splitlines()
    assert lines[0].split()[:2] == ["design", "transitions"]
    assert lines[1].startswith("5 x T=30, n 20..1200")
    assert lines[2].startswith("5 x T=30, n 550..650")
    assert str(spread).splitlines()[1] == lines[1]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: expected_widths(SPREAD, kappa=2.0, alpha=0.5, replications=0),
     r"replications must be an integer >= 1, got 0"),
    (lambda: expected_widths(SPREAD, kappa=100.0, alpha=0.5),
     r"bias factor .* <= 0 at n = 20 of the design"),
    (lambda: expected_widths(SPREAD, kappa=2.0, alpha=-1.0), r"true alpha must be > 0"),
    (lambda: compare_designs([], kappa=2.0, alpha=0.5), r"needs at least one Design"),
])
def test_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_design_type_is_checked():
    with pytest.raises(TypeError, match="design must be a Design, not tuple"):
        expected_widths((5, 30), kappa=2.0, alpha=0.5)
