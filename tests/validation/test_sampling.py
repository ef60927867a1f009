"""One generation of the walk (:func:`modelcollapse.validation.sampling.step`) against the exact
one-step laws of SPEC section 2, written independently here with scipy.

Every law of every family is drawn ``DRAWS`` times from a fixed state and compared with its
scipy law: a Kolmogorov-Smirnov test for continuous laws, a chi-square goodness-of-fit test on
the exact probability mass function for the discrete ones (Binomial/n, Poisson/n,
Multinomial/n), and moment z-tests where no scalar law is available (Wishart entries, log
det). ``mode="brute"`` (draw the data, refit) must match the same laws; ``mode="normal"`` must
be exactly normal with the moment map's mean and variance.

Seeds are fixed; no test is retried.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import special, stats

from modelcollapse.families import Bias, from_moment_map, get_family
from modelcollapse.validation.sampling import step
from tests.validation.zscores import mean_z, variance_z

#: z-score tolerance of every moment check. Two-sided normal tail at 4.5 sigma: 6.8e-6 per
#: check, so a few hundred checks in this suite fail by chance with probability ~1e-3 for a
#: *new* seed; with the fixed seeds below the outcome is deterministic.
Z_TOL = 4.5
#: smallest acceptable p-value of a goodness-of-fit test (KS or chi-square); ~100 such tests
#: give a chance false alarm of ~1e-2 for a new seed, deterministic with the fixed seeds
P_MIN = 1e-4
#: draws per law: the KS distance resolves ~2.2/sqrt(DRAWS) ~ 0.01 at P_MIN
DRAWS = 50_000
#: smallest expected count of a chi-square cell (cells below are pooled)
MIN_EXPECTED = 5.0


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def _full(value, draws: int = DRAWS) -> np.ndarray:
    """A state array: ``value`` (scalar, vector or matrix) repeated once per replication."""
    value = np.asarray(value, dtype=float)
    return np.broadcast_to(value, (draws, *value.shape)).copy()


def _draw(family: str, estimator: str | None, state: dict, n: int, seed: int, *,
          mode: str = "exact", bias: Bias | None = None, constants=None) -> dict:
    fam = get_family(family)
    est = fam.estimator(estimator).name
    return step(fam, est, state, n, _rng(seed), mode=mode, bias=bias, constants=constants)


def _ks(sample: np.ndarray, dist) -> float:
    return float(stats.kstest(sample, dist.cdf).pvalue)




def _counts_on_grid(x: np.ndarray, n: int) -> np.ndarray:
    """The integer counts ``n * x``; the draws must lie on the grid ``k / n`` exactly."""
    k = np.rint(x * n)
    np.testing.assert_allclose(x * n, k, rtol=0, atol=1e-9 * n)
    return k.astype(np.int64)


def _pooled_chisquare(observed: np.ndarray, probs: np.ndarray) -> float:
    """Chi-square goodness-of-fit p-value, cells pooled left to right until each expected
    count is at least :data:`MIN_EXPECTED` (the remainder joins the last cell)."""
    total = observed.sum()
    expected = probs * total
    obs_cells, exp_cells = [], []
    o_acc = e_acc = 0.0
    for o, e in zip(observed, expected, strict=True):
        o_acc, e_acc = o_acc + o, e_acc + e
        if e_acc >= MIN_EXPECTED:
            obs_cells.append(o_acc)
            exp_cells.append(e_acc)
            o_acc = e_acc = 0.0
    if exp_cells:
        obs_cells[-1] += o_acc
        exp_cells[-1] += e_acc
    obs_arr, exp_arr = np.array(obs_cells), np.array(exp_cells)
    assert len(obs_arr) >= 2, "too few cells for a chi-square test"
    stat = float(np.sum((obs_arr - exp_arr) ** 2 / exp_arr))
    return float(stats.chi2.sf(stat, len(obs_arr) - 1))


def _discrete_pvalue(k: np.ndarray, dist) -> float:
    """Chi-square p-value of integer draws ``k`` against a scipy discrete law; the upper
    tail beyond the observed range is folded into the last cell."""
    top = int(max(k.max(), dist.ppf(1 - 1e-12))) + 1
    probs = dist.pmf(np.arange(top))
    probs[-1] += dist.sf(top - 1)
    observed = np.bincount(k, minlength=top).astype(float)
    assert observed.sum() == len(k)
    assert np.all(observed[probs == 0] == 0), "draws outside the support"
    return _pooled_chisquare(observed, probs)


def _spd(d: int) -> np.ndarray:
    """A fixed covariance with unequal variances and non-zero correlations."""
    base = {2: [[2.0, 0.6], [0.6, 0.5]],
            3: [[2.0, 0.6, -0.4], [0.6, 0.5, 0.1], [-0.4, 0.1, 1.0]]}[d]
    return np.array(base)


# ---------------------------------------------------------------------------------------------
# continuous scalar laws: KS against scipy
# ---------------------------------------------------------------------------------------------

#: (family, estimator, parameter, value, n, scipy law of the new estimate); mu's law needs
#: the constant sigma2 = 2 of gaussian-mean
CONTINUOUS = [
    ("gaussian-mean", "unbiased", "mu", 1.5, 7,
     stats.norm(1.5, math.sqrt(2.0 / 7))),
    ("gaussian-variance", "unbiased", "sigma2", 2.0, 6,
     stats.chi2(5, scale=2.0 / 5)),
    ("gaussian-variance", "mle", "sigma2", 2.0, 6,
     stats.chi2(5, scale=2.0 / 6)),
    ("gaussian-variance", "unbiased", "sigma2", 0.3, 40,
     stats.chi2(39, scale=0.3 / 39)),
    ("exponential", "mle", "rate", 2.0, 5,
     stats.invgamma(5, scale=2.0 * 5)),
    ("exponential", "unbiased", "rate", 2.0, 5,
     stats.invgamma(5, scale=2.0 * 4)),
    ("exponential", "mle", "rate", 0.7, 60,
     stats.invgamma(60, scale=0.7 * 60)),
]


def _constants(family: str) -> dict[str, float]:
    return {"sigma2": 2.0} if family == "gaussian-mean" else {}


@pytest.mark.parametrize("mode", ["exact", "brute"])
@pytest.mark.parametrize(("family", "estimator", "name", "value", "n", "law"), CONTINUOUS,
                         ids=[f"{c[0]}-{c[1]}-n={c[4]}-{c[3]}" for c in CONTINUOUS])
def test_continuous_law_ks(family, estimator, name, value, n, law, mode):
    new = _draw(family, estimator, {name: _full(value)}, n, seed=11 + n, mode=mode,
                constants=_constants(family))
    assert new[name].shape == (DRAWS,)
    assert _ks(new[name], law) > P_MIN


@pytest.mark.parametrize("mode", ["exact", "brute"])
@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_gaussian_joint_laws_and_independence(estimator, mode):
    """(mu, sigma2) jointly: mu ~ N(mu, sigma2_prev / n) with the *previous* sigma2 (n = 5 makes
    a mix-up with the new sigma2 visible), sigma2 a scaled chi-square, the two independent."""
    n, mu, s2 = 5, -0.5, 3.0
    new = _draw("gaussian", estimator, {"mu": _full(mu), "sigma2": _full(s2)}, n, seed=21,
                mode=mode)
    divisor = n - 1 if estimator == "unbiased" else n
    assert _ks(new["mu"], stats.norm(mu, math.sqrt(s2 / n))) > P_MIN
    assert _ks(new["sigma2"], stats.chi2(n - 1, scale=s2 / divisor)) > P_MIN
    # sample mean and sample variance of Gaussian data are independent: correlations of the
    # pair and of |mu - mu_prev| with sigma2 vanish (asymptotically N(0, 1/N) each)
    for a in (new["mu"], np.abs(new["mu"] - mu)):
        r = np.corrcoef(a, new["sigma2"])[0, 1]
        assert abs(r * math.sqrt(DRAWS)) < Z_TOL


def test_heterogeneous_states_scale_per_replication():
    """Each replication steps from its own previous value: the ratios new/old are i.i.d."""
    n = 9
    old = np.geomspace(1e-3, 1e3, DRAWS)
    new = _draw("gaussian-variance", "unbiased", {"sigma2": old}, n, seed=31)["sigma2"]
    assert _ks(new / old, stats.chi2(n - 1, scale=1 / (n - 1))) > P_MIN
    rate = _draw("exponential", "mle", {"rate": old}, n, seed=32)["rate"]
    assert _ks(rate / old, stats.invgamma(n, scale=n)) > P_MIN
    mu = np.linspace(-50, 50, DRAWS)
    new_mu = _draw("gaussian-mean", None, {"mu": mu}, n, seed=33,
                   constants={"sigma2": 4.0})["mu"]
    assert _ks((new_mu - mu) * math.sqrt(n / 4.0), stats.norm()) > P_MIN


def test_step_does_not_modify_its_input_state():
    state = {"mu": _full(0.3, 100), "sigma2": _full(1.7, 100)}
    before = {k: v.copy() for k, v in state.items()}
    _draw("gaussian", None, state, 4, seed=1)
    _draw("gaussian", None, state, 4, seed=1, mode="brute")
    for k in state:
        np.testing.assert_array_equal(state[k], before[k])


# ---------------------------------------------------------------------------------------------
# discrete laws: chi-square on the exact pmf
# ---------------------------------------------------------------------------------------------

#: (family, parameter, value, n, scipy law of n * new estimate)
DISCRETE = [
    ("bernoulli", "p", 0.3, 12, stats.binom(12, 0.3)),
    ("bernoulli", "p", 0.93, 40, stats.binom(40, 0.93)),
    ("poisson", "lam", 2.5, 4, stats.poisson(10.0)),
    ("poisson", "lam", 0.15, 3, stats.poisson(0.45)),
    ("poisson", "lam", 7.0, 30, stats.poisson(210.0)),
]


@pytest.mark.parametrize("mode", ["exact", "brute"])
@pytest.mark.parametrize(("family", "name", "value", "n", "law"), DISCRETE,
                         ids=[f"{c[0]}-{c[2]}-n={c[3]}" for c in DISCRETE])
def test_discrete_law_chisquare(family, name, value, n, law, mode):
    new = _draw(family, None, {name: _full(value)}, n, seed=41 + n, mode=mode)[name]
    k = _counts_on_grid(new, n)
    assert _discrete_pvalue(k, law) > P_MIN
    # and the first two moments of Binomial/n, Poisson/n
    assert abs(mean_z(new, law.mean() / n)) < Z_TOL
    assert abs(variance_z(new, law.var() / n**2)) < Z_TOL


@pytest.mark.parametrize(("family", "name", "value"),
                         [("bernoulli", "p", 0.0), ("bernoulli", "p", 1.0),
                          ("poisson", "lam", 0.0)])
@pytest.mark.parametrize("mode", ["exact", "brute"])
def test_absorbing_states_absorb(family, name, value, mode):
    new = _draw(family, None, {name: _full(value, 1000)}, 7, seed=3, mode=mode)[name]
    np.testing.assert_array_equal(new, value)


def _multinomial_outcomes(n: int, k: int) -> list[tuple[int, ...]]:
    return [c for c in itertools.product(range(n + 1), repeat=k) if sum(c) == n]


@pytest.mark.parametrize("mode", ["exact", "brute"])
@pytest.mark.parametrize(("p", "n"), [((0.2, 0.3, 0.5), 6), ((0.05, 0.15, 0.3, 0.5), 5)])
def test_categorical_multinomial_joint_law(p, n, mode):
    """The whole vector of frequencies against the exact Multinomial(n, p) pmf."""
    p = np.array(p)
    new = _draw("categorical", None, {"p": _full(p)}, n, seed=51 + n, mode=mode)["p"]
    assert new.shape == (DRAWS, len(p))
    counts = _counts_on_grid(new, n)
    np.testing.assert_array_equal(counts.sum(axis=1), n)
    outcomes = _multinomial_outcomes(n, len(p))
    index = {c: i for i, c in enumerate(outcomes)}
    observed = np.bincount([index[tuple(row)] for row in counts.tolist()],
                           minlength=len(outcomes)).astype(float)
    probs = stats.multinomial(n, p).pmf(np.array(outcomes))
    order = np.argsort(probs)  # pool the rarest outcomes together
    assert math.isclose(probs.sum(), 1.0, rel_tol=1e-12)
    assert _pooled_chisquare(observed[order], probs[order]) > P_MIN
    # cell covariances -p_i p_j / n
    centred = new - p
    for i, j in itertools.combinations(range(len(p)), 2):
        assert abs(mean_z(centred[:, i] * centred[:, j], -p[i] * p[j] / n)) < Z_TOL


# ---------------------------------------------------------------------------------------------
# multivariate Gaussian: mean vector and Wishart covariance
# ---------------------------------------------------------------------------------------------


def _mv_state(d: int, draws: int = DRAWS) -> dict:
    return {"mu": _full(np.linspace(1.0, -1.0, d), draws), "Sigma": _full(_spd(d), draws)}


@pytest.mark.parametrize("mode", ["exact", "brute"])
@pytest.mark.parametrize("d", [2, 3])
def test_mvgaussian_mean_vector(d, mode):
    """mu_new ~ N(mu, Sigma / n): the Mahalanobis form n (x-mu)' Sigma^-1 (x-mu) ~ chi2(d),
    each coordinate normal, the cross moments Sigma_ij / n."""
    n = 6
    state = _mv_state(d)
    mu, sigma = state["mu"][0], state["Sigma"][0]
    new = _draw("mvgaussian", "unbiased", state, n, seed=61 + d, mode=mode)["mu"]
    assert new.shape == (DRAWS, d)
    dev = new - mu
    maha = n * np.einsum("ri,ij,rj->r", dev, np.linalg.inv(sigma), dev)
    assert _ks(maha, stats.chi2(d)) > P_MIN
    for i in range(d):
        assert _ks(new[:, i], stats.norm(mu[i], math.sqrt(sigma[i, i] / n))) > P_MIN
        for j in range(i, d):
            assert abs(mean_z(dev[:, i] * dev[:, j], sigma[i, j] / n)) < Z_TOL


@pytest.mark.parametrize("mode", ["exact", "brute"])
@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
@pytest.mark.parametrize(("d", "n"), [(2, 5), (3, 8)])
def test_mvgaussian_wishart_bartlett(d, n, estimator, mode):
    r"""Sigma_new = Sigma^{1/2} W Sigma^{1/2} / divisor with W ~ Wishart_d(n - 1, I):

    * E Sigma_new_ij = Sigma_ij (n - 1) / divisor;
    * Var Sigma_new_ij = (Sigma_ij^2 + Sigma_ii Sigma_jj) (n - 1) / divisor^2;
    * E log det(Sigma_new Sigma^-1) = sum_i psi((n - i)/2) + d log(2 / divisor), variance
      sum_i psi'((n - i)/2);
    * for a fixed vector a: a' Sigma_new a ~ (a' Sigma a) chi2_(n-1) / divisor (KS).
    """
    state = _mv_state(d)
    sigma = state["Sigma"][0]
    new = _draw("mvgaussian", estimator, state, n, seed=71 + 10 * d + n, mode=mode)["Sigma"]
    assert new.shape == (DRAWS, d, d)
    np.testing.assert_allclose(new, new.transpose(0, 2, 1), rtol=1e-12, atol=1e-12)
    divisor = n - 1 if estimator == "unbiased" else n
    for i in range(d):
        for j in range(i, d):
            entry = new[:, i, j]
            assert abs(mean_z(entry, sigma[i, j] * (n - 1) / divisor)) < Z_TOL
            var = (sigma[i, j] ** 2 + sigma[i, i] * sigma[j, j]) * (n - 1) / divisor**2
            assert abs(variance_z(entry, var)) < Z_TOL
    sign, logdet = np.linalg.slogdet(new)
    assert np.all(sign == 1)  # positive definite
    logdet_ratio = logdet - np.linalg.slogdet(sigma)[1]
    i = np.arange(1, d + 1)
    expected = float(np.sum(special.digamma((n - i) / 2)) + d * math.log(2 / divisor))
    assert abs(mean_z(logdet_ratio, expected)) < Z_TOL
    assert abs(variance_z(logdet_ratio, float(np.sum(special.polygamma(1, (n - i) / 2))))) < Z_TOL
    for a in (np.eye(d)[0], np.ones(d), np.arange(1.0, d + 1) * (-1.0) ** np.arange(d)):
        form = np.einsum("i,rij,j->r", a, new, a)
        law = stats.chi2(n - 1, scale=float(a @ sigma @ a) / divisor)
        assert _ks(form, law) > P_MIN


# ---------------------------------------------------------------------------------------------
# bias: the factor 1 - kappa n^-alpha on positive parameters, the shift on locations
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["exact", "brute"])
def test_bias_scales_the_variance_law(mode):
    n, s2, bias = 9, 2.0, Bias(1, 0.5)
    c = 1 - 1 * n**-0.5
    new = _draw("gaussian-variance", "unbiased", {"sigma2": _full(s2)}, n, seed=81, mode=mode,
                bias=bias)["sigma2"]
    assert _ks(new, stats.chi2(n - 1, scale=c * s2 / (n - 1))) > P_MIN
    assert abs(mean_z(new, c * s2)) < Z_TOL
    assert abs(variance_z(new, c**2 * 2 * s2**2 / (n - 1))) < Z_TOL


@pytest.mark.parametrize("mode", ["exact", "brute"])
def test_bias_shifts_the_location_law(mode):
    n, mu, bias = 16, 1.5, Bias(0.5, 0.5)
    new = _draw("gaussian-mean", None, {"mu": _full(mu)}, n, seed=82, mode=mode, bias=bias,
                constants={"sigma2": 2.0})["mu"]
    shift = 0.5 * n**-0.5
    assert _ks(new, stats.norm(mu + shift, math.sqrt(2.0 / n))) > P_MIN
    assert abs(mean_z(new, mu + shift)) < Z_TOL


def test_bias_scales_the_rate_and_covariance_laws():
    n, bias = 8, Bias(2.0, 1.5)
    c = 1 - 2.0 * n**-1.5
    rate = _draw("exponential", "unbiased", {"rate": _full(2.0)}, n, seed=83,
                 bias=bias)["rate"]
    assert _ks(rate, stats.invgamma(n, scale=c * 2.0 * (n - 1))) > P_MIN
    lam = _draw("poisson", None, {"lam": _full(2.5)}, n, seed=84, bias=bias)["lam"]
    k = _counts_on_grid(lam, n)  # thinned counts: Poisson(n c lambda) (SPEC section 2)
    assert _discrete_pvalue(k, stats.poisson(2.5 * n * c)) > P_MIN
    state = _mv_state(2)
    new = _draw("mvgaussian", "unbiased", state, n, seed=85, bias=bias)
    form = np.einsum("i,rij,j->r", np.ones(2), new["Sigma"], np.ones(2))
    law = stats.chi2(n - 1, scale=c * float(np.ones(2) @ _spd(2) @ np.ones(2)) / (n - 1))
    assert _ks(form, law) > P_MIN
    # the mean vector is a location: shifted by kappa n^-alpha in every coordinate
    assert abs(mean_z(new["mu"][:, 0], 1.0 + 2.0 * n**-1.5)) < Z_TOL


def test_bias_factor_must_stay_positive():
    with pytest.raises(ValueError, match=r"bias factor 1 - kappa n\^-alpha .* not positive at "
                                         r"n_t=4"):
        _draw("gaussian-variance", None, {"sigma2": _full(1.0, 10)}, 4, seed=1,
              bias=Bias(5.0, 1.0))


def test_bias_on_a_probability_is_refused_by_step():
    with pytest.raises(ValueError, match=r"bias .*probability"):
        _draw("categorical", None, {"p": _full((0.2, 0.3, 0.5), 100)}, 10, seed=1,
              bias=Bias(0.5, 0.5))


# ---------------------------------------------------------------------------------------------
# normal mode: N(m, v) with the moment map's m and v, exactly
# ---------------------------------------------------------------------------------------------

_USER = from_moment_map("tmp-sampling-user", parameter="theta", mean="0.9*theta + 0.1",
                        variance="theta**2/n + 1/n**2", domain="positive", kind="scale")

#: (family, estimator, parameter, value, n, m, v)
NORMAL_MODE = [
    ("gaussian-variance", "unbiased", "sigma2", 2.0, 6, 2.0, 2 * 4.0 / 5),
    ("gaussian-variance", "mle", "sigma2", 2.0, 6, 2.0 * 5 / 6, 2 * 4.0 * 5 / 36),
    ("exponential", "mle", "rate", 2.0, 5, 2.0 * 5 / 4, 4.0 * 25 / (16 * 3)),
    ("poisson", None, "lam", 2.5, 4, 2.5, 2.5 / 4),
    ("bernoulli", None, "p", 0.3, 12, 0.3, 0.3 * 0.7 / 12),
    ("gaussian-mean", None, "mu", 1.5, 7, 1.5, 2.0 / 7),
    (_USER, None, "theta", 3.0, 10, 0.9 * 3.0 + 0.1, 9.0 / 10 + 1 / 100),
]


@pytest.mark.parametrize(("family", "estimator", "name", "value", "n", "m", "v"), NORMAL_MODE,
                         ids=[str(getattr(c[0], "name", c[0])) + f"-{c[1]}" for c in NORMAL_MODE])
def test_normal_mode_has_the_moment_map(family, estimator, name, value, n, m, v):
    fam = get_family(family)
    new = step(fam, fam.estimator(estimator).name, {name: _full(value)}, n, _rng(91 + n),
               mode="normal", constants=_constants(fam.name))[name]
    assert abs(mean_z(new, m)) < Z_TOL
    assert abs(variance_z(new, v)) < Z_TOL
    assert _ks(new, _normal_approximation(fam.parameter(name).domain, m, v)) > P_MIN


def _normal_approximation(domain: str, m: float, v: float):
    """The law with mean m and variance v that normal mode draws in each domain: normal on the
    log scale (log-normal) for a positive parameter, Beta on the unit interval, else normal."""
    if domain == "positive":
        s2 = math.log1p(v / m**2)
        return stats.lognorm(math.sqrt(s2), scale=m * math.exp(-s2 / 2))
    if domain == "unit_interval":
        total = m * (1 - m) / v - 1
        return stats.beta(m * total, (1 - m) * total)
    return stats.norm(m, math.sqrt(v))


def test_normal_mode_with_bias():
    n, s2, bias = 9, 2.0, Bias(1, 0.5)
    c = 1 - n**-0.5
    new = _draw("gaussian-variance", "unbiased", {"sigma2": _full(s2)}, n, seed=95,
                mode="normal", bias=bias)["sigma2"]
    assert _ks(new, _normal_approximation("positive", c * s2, c**2 * 2 * s2**2 / (n - 1))) \
        > P_MIN


def test_user_family_without_a_law_has_no_exact_mode():
    """A family declared by its moment map only is drawn by the normal approximation; mode
    'exact' refuses instead of substituting it."""
    with pytest.raises(ValueError, match="mode 'exact' needs an exact one-step law; "
                                         "tmp-sampling-user declares only its moment map"):
        step(_USER, _USER.estimator().name, {"theta": _full(3.0)}, 10, _rng(97))


def test_normal_mode_refuses_vector_families():
    with pytest.raises(ValueError, match="mode 'normal' is for scalar families; categorical"):
        _draw("categorical", None, {"p": _full((0.2, 0.8), 10)}, 5, seed=1, mode="normal")


def test_brute_mode_needs_a_data_model():
    with pytest.raises(ValueError, match="mode 'brute' needs a data model; tmp-sampling-user"):
        step(_USER, _USER.estimator().name, {"theta": _full(1.0, 10)}, 5, _rng(1),
             mode="brute")


def test_same_generator_state_gives_the_same_draws():
    state = {"sigma2": _full(2.0, 1000)}
    a = _draw("gaussian-variance", None, state, 5, seed=7)["sigma2"]
    b = _draw("gaussian-variance", None, state, 5, seed=7)["sigma2"]
    c = _draw("gaussian-variance", None, state, 5, seed=8)["sigma2"]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
