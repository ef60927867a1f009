"""Calibration of the bias model (modelcollapse.inference.calibration): simulation-based
calibration, the recovery grid and its quality gates, input checks."""

from __future__ import annotations

import numpy as np
import pytest

from modelcollapse.inference.calibration import (
    DEFAULT_SIZES,
    RANK_DRAWS,
    SBC_FAILURE_RATE,
    Design,
    RecoveryRow,
    Refitter,
    draw_truth,
    format_recovery,
    rank_uniformity,
    recovery_grid,
    sbc,
    simulate_design,
)

pytestmark = [
    # pip-installed PyTensor finds no BLAS when it compiles C code: a note on speed (these
    # models use no matrix products), emitted by pytensor.link.c.cmodule
    pytest.mark.filterwarnings("ignore:PyTensor could not link to a BLAS:UserWarning"),
]

#: the fast SBC fails a correct model with this probability (each of its three chi-square
#: tests at a third of it); the seed is fixed, so in practice the outcome is fixed too
FAST_FAILURE_RATE = 1e-3
FAST_REPLICATIONS = 20


@pytest.fixture(scope="module")
def fast_sbc():
    return sbc(replications=FAST_REPLICATIONS, seed=1, failure_rate=FAST_FAILURE_RATE)


def test_sbc_fast_gives_uniform_ranks(fast_sbc):
    r = fast_sbc
    assert r.passed, str(r)
    assert r.replications == FAST_REPLICATIONS
    assert r.bins == 4  # 100 rank values, at least 5 expected per bin
    for name in ("kappa", "alpha", "b"):
        assert r.ranks[name].shape == (FAST_REPLICATIONS,)
        assert 0 <= r.ranks[name].min() and r.ranks[name].max() <= RANK_DRAWS
        assert r.p_values[name] >= r.level
        assert r.histogram(name).sum() == FAST_REPLICATIONS
    # the truths come from the prior: kappa = b * n_min**alpha with n_min = 20
    np.testing.assert_allclose(r.truths["kappa"], r.truths["b"] * 20.0 ** r.truths["alpha"])
    assert np.all(r.rhat_max < 1.05)


def test_sbc_result_forms(fast_sbc):
    d = fast_sbc.to_dict()
    assert d["passed"] is True and d["failure_rate"] == FAST_FAILURE_RATE
    assert set(d["p_values"]) == {"kappa", "alpha", "b"}
    assert len(d["ranks"]["kappa"]) == FAST_REPLICATIONS
    assert d["sizes"][:6] == [20, 50, 150, 400, 1200, 20]
    text = str(fast_sbc)
    assert text.startswith("SBC of the bias model (gaussian-variance, 5 x T=30")
    assert "passed at failure rate 0.001" in text


@pytest.mark.slow
def test_sbc_100_replications():
    r = sbc(replications=100, seed=2)
    assert r.failure_rate == SBC_FAILURE_RATE
    assert r.bins == 20
    assert r.passed, str(r)


def test_rank_uniformity_detects_skewed_ranks():
    rng = np.random.default_rng(0)
    uniform = rng.integers(0, RANK_DRAWS + 1, size=200)
    assert rank_uniformity(uniform) > 1e-3
    # an overconfident posterior: the truth falls in the tails of the draws
    tails = np.concatenate([rng.integers(0, 10, size=100), rng.integers(90, 100, size=100)])
    assert rank_uniformity(tails) < 1e-10
    # a biased one: the truth mostly above the draws
    assert rank_uniformity(rng.integers(60, 100, size=100)) < 1e-10


def test_draw_truth_follows_the_prior():
    rng = np.random.default_rng(0)
    draws = [draw_truth(rng, 20) for _ in range(4000)]
    b = np.array([d["b"] for d in draws])
    alpha = np.array([d["alpha"] for d in draws])
    assert abs(b.mean() - 0.25) < 0.01  # Beta(1, 3)
    assert abs(alpha.mean() - (0.05 + 2.95 / 2)) < 0.03  # 0.05 + 2.95 Beta(2, 2)


def test_simulate_design_is_reproducible_and_biased():
    d = Design(200, 1, (20,))
    a = simulate_design(d, 10.0, 1.0, seed=3)
    b = simulate_design(d, 10.0, 1.0, seed=3)
    np.testing.assert_array_equal(a.estimate, b.estimate)
    # E[sigma2_1 / sigma2_0] = c(20) = 1 - 10/20
    ratio = a.transitions()["current"] / a.transitions()["previous"]
    assert abs(ratio.mean() - 0.5) < 4 * 0.5 * np.sqrt(2 / 19) / np.sqrt(200)


def test_recovery_grid_covers_and_passes_gates():
    rows = recovery_grid(((0.5, 0.5), (2.0, 1.0)), trajectories=20, seed=0)
    assert len(rows) == 2
    for row in rows:
        assert row.covered, format_recovery(rows)
        assert row.gates_passed, format_recovery(rows)
        assert row.problems() == []
        assert row.kappa_hdi[0] < row.kappa_mean < row.kappa_hdi[1]
        d = row.to_dict()
        assert d["gates_passed"] is True and d["divergences"] == 0
    text = format_recovery(rows)
    assert text.splitlines()[0].split()[:2] == ["kappa", "alpha"]
    assert text.count(" ok") == 2


def test_gates_are_reported():
    row = RecoveryRow(kappa=1.0, alpha=1.0, kappa_mean=1.1, alpha_mean=0.9,
                      kappa_hdi=(0.5, 0.9), alpha_hdi=(0.8, 1.2), divergences=3,
                      rhat_max=1.02, ess_bulk_min=350.0)
    assert not row.kappa_covered and row.alpha_covered and not row.covered
    assert row.problems() == ["3 divergences", "r-hat 1.020 > 1.01", "bulk ESS 350 < 400"]
    assert not row.gates_passed
    edge = RecoveryRow(kappa=1.0, alpha=1.0, kappa_mean=1.0, alpha_mean=1.0,
                       kappa_hdi=(0.5, 1.5), alpha_hdi=(0.5, 1.5), divergences=0,
                       rhat_max=1.01, ess_bulk_min=400.0)
    assert edge.gates_passed
    assert "3 divergences; r-hat 1.020 > 1.01" in format_recovery([row, edge])


def test_design_sizes():
    d = Design(2, 6, (20, 1200))
    assert d.sizes().tolist() == [20, 1200, 20, 1200, 20, 1200, 20]
    assert Design(1, 3, "n0*t").sizes().tolist() == [100, 100, 200, 300]
    assert Design().sizes()[:6].tolist() == [20, 50, 150, 400, 1200, 20]
    assert Design().schedule == DEFAULT_SIZES


@pytest.mark.parametrize(("call", "message"), [
    (lambda: sbc(replications=5), r"replications must be an integer >= 10, got 5"),
    (lambda: sbc(replications=20, failure_rate=0), r"failure_rate must be in \(0, 1\)"),
    (lambda: sbc(replications=20, draws=10, chains=2),
     r"chains x draws = 20 is below rank_draws = 99"),
    (lambda: sbc(replications=20, sampler="stan"), r"sampler must be one of auto, pymc, nutpie"),
    (lambda: recovery_grid(((1000.0, 1.0),)),
     r"bias factor 1 - kappa n\^-alpha = -49 <= 0 at n = 20"),
    (lambda: recovery_grid(()), r"grid must hold at least one"),
    (lambda: recovery_grid(((1.0,),)), r"grid cells must be \(kappa, alpha\) pairs"),
    (lambda: recovery_grid(((1.0, 0.0),)), r"true alpha must be > 0, got 0.0"),
    (lambda: recovery_grid(((-1.0, 1.0),)), r"true kappa must be >= 0, got -1.0"),
    (lambda: recovery_grid(((float("nan"), 1.0),)), r"true kappa must be a finite number"),
    (lambda: Design(0, 30), r"trajectories must be an integer >= 1, got 0"),
    (lambda: Design(5, 0), r"generations must be an integer >= 1, got 0"),
    (lambda: Design(5, 30, (20, 1)), r"schedule sizes must be integers >= 2, got 1"),
    (lambda: Design(5, 30, ()), r"schedule must be a Schedule, an expression or a non-empty"),
    (lambda: rank_uniformity([0, 100]), r"ranks must lie in 0..99, got 0..100"),
    (lambda: rank_uniformity([1.5]), r"ranks must be a non-empty one-dimensional array"),
    (lambda: rank_uniformity(np.arange(8)), r"8 ranks are too few for a chi-square test"),
    (lambda: rank_uniformity(np.arange(50), bins=3), r"bins must divide the 100 rank values"),
])
def test_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_refitter_checks_sampler_settings():
    data = simulate_design(Design(2, 5), 1.0, 1.0)
    ref = Refitter(data)
    with pytest.raises(ValueError, match=r"target_accept must be in \(0, 1\)"):
        ref.fit(data, target_accept=1.5)
    with pytest.raises(ValueError, match=r"draws must be an integer >= 1, got 0"):
        ref.fit(data, draws=0)


@pytest.mark.slow
def test_refitter_with_pymc_sampler():
    data = simulate_design(Design(10, 30), 1.0, 0.5, seed=4)
    ref = Refitter(data, sampler="pymc")
    post = ref.fit(data, draws=300, tune=300, chains=2, cores=1)
    assert post.sampler == "pymc"
    lo, hi = post.stats("alpha")["hdi_low"], post.stats("alpha")["hdi_high"]
    assert lo < 0.5 < hi


def test_validate_inference_checks_quick() -> None:
    """`modelcollapse validate --inference`: SBC and recovery as checks that pass."""
    from modelcollapse.inference.checks import inference_checks

    checks = inference_checks(quick=True, seed=0)
    assert any(c.name.startswith("SBC") for c in checks)
    assert any(c.name.startswith("recovery") for c in checks)
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
