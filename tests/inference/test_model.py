"""The PyMC bias model: its log-density against a direct scipy computation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytensor.tensor as pt
import pytest
import sympy as sp
from scipy import special, stats

from modelcollapse import symbols
from modelcollapse.families import Estimator, Family, Parameter, from_moment_map
from modelcollapse.families.laws import (
    InverseGamma,
    Law,
    Normal,
    PoissonMean,
    ScaledBeta,
    ScaledChiSquare,
    ScaledGamma,
)
from modelcollapse.inference.data import load_trajectories
from modelcollapse.inference.model import (
    Priors,
    build_model,
    family_likelihood,
    growth_floor,
    likelihood_kind,
    set_data,
    step_likelihood,
    sufficient_statistics,
)

pytestmark = [
    # pip-installed PyTensor finds no BLAS when it compiles C code: a note on speed (these
    # models use no matrix products), emitted by pytensor.link.c.cmodule
    pytest.mark.filterwarnings("ignore:PyTensor could not link to a BLAS:UserWarning"),
]

# two trajectories of different lengths and schedules; n_min = 8
DATA = {
    "trajectory": ["a"] * 4 + ["b"] * 3,
    "t": [0, 1, 2, 3, 0, 1, 2],
    "n": [10, 8, 16, 32, 50, 50, 100],
    "estimate": [1.0, 0.7, 0.75, 0.6, 2.0, 1.6, 1.7],
}
N_MIN = 8
DEFAULT = Priors()
#: PyTensor's Beta log-normaliser (betaln) differs from scipy's by about 2e-8, a constant
BETA_NORMALISER = 1e-7
POINTS = [(0.3, 0.8), (0.05, 1.7), (0.6, 0.3)]  # (b, alpha)


def steps(data, family="gaussian-variance"):
    tr = load_trajectories(data, family=family)
    s = tr.transitions()
    return s["previous"], s["current"], s["n"].astype(float)


def prior_logp(b, alpha, priors=DEFAULT, location=False):
    raw = (alpha - priors.alpha_low) / (priors.alpha_high - priors.alpha_low)
    lp_b = (stats.halfnorm.logpdf(b, scale=priors.location_b_sigma) if location
            else stats.beta.logpdf(b, *priors.b))
    return lp_b + stats.beta.logpdf(raw, *priors.alpha)


def point(model, b, alpha, priors=DEFAULT):
    raw = (alpha - priors.alpha_low) / (priors.alpha_high - priors.alpha_low)
    names = {v.name for v in model.value_vars}
    b_value = np.log(b) if "b_log__" in names else special.logit(b)
    return {("b_log__" if "b_log__" in names else "b_logodds__"): np.asarray(b_value),
            "alpha_raw_logodds__": np.asarray(special.logit(raw))}


def scipy_loglik(family, data, b, alpha):
    prev, cur, n = steps(data, family)
    c = 1 - b * (n / N_MIN) ** -alpha  # = 1 - kappa n^-alpha with kappa = b n_min^alpha
    if family == "gaussian-variance":
        k = (n - 1) / 2
        return stats.gamma.logpdf(cur / prev, a=k, scale=c / k).sum()
    if family == "exponential":
        return stats.invgamma.logpdf(cur / prev, a=n, scale=c * (n - 1)).sum()
    if family == "poisson":
        keep = prev > 0
        return stats.poisson.logpmf(np.round(n * cur)[keep], (c * n * prev)[keep]).sum()
    if family == "gaussian-mean":  # sigma2 = 1 known
        return stats.norm.logpdf(cur, prev + b * (n / N_MIN) ** -alpha, np.sqrt(1 / n)).sum()
    raise AssertionError(family)


def family_data(family):
    if family == "poisson":  # estimates are counts / n; one trajectory goes extinct
        return {**DATA, "estimate": [1.0, 0.75, 0.5, 0.0, 2.0, 1.62, 1.7]}
    if family == "exponential":
        return {**DATA, "n": [10, 8, 16, 32, 50, 50, 100]}
    return DATA


@pytest.mark.parametrize("family", ["gaussian-variance", "exponential", "poisson",
                                    "gaussian-mean"])
@pytest.mark.parametrize("sufficient", [True, False])
def test_logp_matches_scipy(family, sufficient):
    data = family_data(family)
    model = build_model(data, family=family, sufficient=sufficient)
    logp = model.compile_logp(jacobian=False)
    location = family == "gaussian-mean"
    ours = [float(logp(point(model, b, a))) for b, a in POINTS]
    direct = [prior_logp(b, a, location=location) + scipy_loglik(family, data, b, a)
              for b, a in POINTS]
    # differences between points: what the sampler sees
    np.testing.assert_allclose(np.diff(ours), np.diff(direct), rtol=1e-9, atol=1e-9)
    # and the constants too: the model's log-density is the exact one
    np.testing.assert_allclose(ours, direct, rtol=0, atol=BETA_NORMALISER)


def test_sufficient_statistics_give_the_per_transition_logp_on_many_transitions():
    rng = np.random.default_rng(5)
    rows = {"t": [], "n": [], "estimate": [], "trajectory": []}
    for j in range(6):
        sizes = rng.choice([5, 9, 30, 200], size=12)
        theta = np.exp(np.cumsum(rng.normal(0, 0.3, size=12)))
        rows["t"] += list(range(12))
        rows["n"] += sizes.tolist()
        rows["estimate"] += theta.tolist()
        rows["trajectory"] += [j] * 12
    fast, slow = build_model(rows, sufficient=True), build_model(rows)
    assert not fast.observed_RVs and [v.name for v in slow.observed_RVs] == ["ratio"]
    stats_ = sufficient_statistics(rows)
    assert len(stats_.arrays["n"]) == 4  # cost grows with distinct sizes, not transitions
    lf, ls = fast.compile_logp(), slow.compile_logp()
    for b, a in POINTS:
        p = point(fast, b, a)
        assert float(lf(p)) == pytest.approx(float(ls(p)), rel=1e-10)


def test_gaussian_variance_sufficient_statistics_are_the_documented_ones():
    prev, cur, n = steps(DATA)
    s = sufficient_statistics(DATA)
    assert s.likelihood == "gamma" and s.n_min == N_MIN
    for size in np.unique(n):
        y = (cur / prev)[n == size]
        k, m = (size - 1) / 2, len(y)
        i = int(np.flatnonzero(s.arrays["n"] == size)[0])
        assert s.arrays["w_log"][i] == pytest.approx(-m * k)
        assert s.arrays["w_inv"][i] == pytest.approx(-k * y.sum())
        assert s.arrays["const"][i] == pytest.approx(
            m * (k * np.log(k) - special.gammaln(k)) + (k - 1) * np.log(y).sum())


def test_normal_approximation_for_a_user_scale_family():
    fam = from_moment_map("my-scale", parameter="theta", mean="theta",
                          variance="theta**2/n", domain="positive", kind="scale")
    assert likelihood_kind(fam) == "normal_scale"
    model = build_model(DATA, family=fam)
    logp = model.compile_logp(jacobian=False)
    prev, cur, n = steps(DATA)
    for b, a in POINTS:
        c = 1 - b * (n / N_MIN) ** -a
        direct = stats.norm.logpdf(cur, c * prev, c * prev / np.sqrt(n)).sum()
        assert float(logp(point(model, b, a))) == pytest.approx(prior_logp(b, a) + direct,
                                                                abs=BETA_NORMALISER)


def test_deterministics_and_variables():
    model = build_model(DATA)
    assert [v.name for v in model.free_RVs] == ["b", "alpha_raw"]
    assert {d.name for d in model.deterministics} == {"alpha", "kappa",
                                                      "required_growth_exponent"}
    outs = model.replace_rvs_by_values(
        [model["kappa"], model["alpha"], model["required_growth_exponent"]])
    f = model.compile_fn(outs, inputs=model.value_vars, point_fn=True)
    kappa, alpha, p = f(point(model, 0.3, 0.8))
    assert alpha == pytest.approx(0.8)
    assert kappa == pytest.approx(0.3 * N_MIN**0.8)
    assert p == pytest.approx(1 / 0.8)


def test_set_data_swaps_the_data_of_a_built_model():
    other = {**DATA, "estimate": [1.0, 0.9, 0.8, 0.85, 2.0, 2.1, 1.9],
             "n": [10, 12, 16, 32, 50, 60, 100]}
    model = build_model(DATA)
    set_data(model, other)
    fresh = build_model(other)
    p = point(fresh, 0.3, 0.8)
    assert float(model.compile_logp()(p)) == pytest.approx(float(fresh.compile_logp()(p)))


def test_noisy_model_has_one_latent_per_observation_and_the_exact_log_ratio_density():
    model = build_model(DATA, noisy=True, priors=Priors(tau_sigma=0.2))
    assert {v.name for v in model.free_RVs} == {"b", "alpha_raw", "tau", "log_theta"}
    assert model.named_vars_to_dims["log_theta"] == ("observation",)
    assert int(model.dim_lengths["observation"].eval()) == 7
    logp = model.compile_logp(jacobian=False)
    prev, cur, n = steps(DATA)
    latent = np.log(DATA["estimate"]) + np.linspace(-0.05, 0.05, 7)
    tau = 0.07
    base = {**point(model, 0.3, 0.8), "tau_log__": np.asarray(np.log(tau)),
            "log_theta": latent}
    idx = np.array([1, 2, 3, 5, 6])
    z = latent[idx] - latent[idx - 1]
    c = 1 - 0.3 * (n / N_MIN) ** -0.8
    k = (n - 1) / 2
    direct = (prior_logp(0.3, 0.8) + stats.halfnorm.logpdf(tau, scale=0.2)
              + (stats.gamma.logpdf(np.exp(z), a=k, scale=c / k) + z).sum()
              + stats.norm.logpdf(np.log(DATA["estimate"]), latent, tau).sum())
    assert float(logp(base)) == pytest.approx(direct, abs=BETA_NORMALISER)


def test_noisy_needs_a_multiplicative_family_and_same_shape_data():
    with pytest.raises(ValueError, match="noisy=True needs a family with an exact "
                                         "multiplicative law"):
        build_model(family_data("poisson"), family="poisson", noisy=True)
    model = build_model(DATA, noisy=True)
    with pytest.raises(ValueError, match="the noisy model needs data of the same shape"):
        set_data(model, {"t": [0, 1], "n": [5, 5], "estimate": [1.0, 1.1]})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"b": (0, 3)}, r"prior b must be two Beta shapes > 0"),
     ({"alpha_low": 2, "alpha_high": 1}, r"0 < alpha_low < alpha_high"),
     ({"tau_sigma": -1}, r"prior tau_sigma must be > 0")],
)
def test_priors_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Priors(**kwargs)


def test_custom_priors_enter_the_model():
    priors = Priors(b=(2, 2), alpha=(1, 1), alpha_low=0.1, alpha_high=2)
    model = build_model(DATA, priors=priors)
    logp = model.compile_logp(jacobian=False)
    b, a = 0.4, 1.2
    direct = prior_logp(b, a, priors) + scipy_loglik("gaussian-variance", DATA, b, a)
    assert float(logp(point(model, b, a, priors))) == pytest.approx(direct,
                                                                 abs=BETA_NORMALISER)


# ---------------------------------------------------------------------------------------------
# user families: the likelihood comes from the declared law's class, never from a name
# ---------------------------------------------------------------------------------------------
#: the estimate may not exceed (n + 1)/n times the previous one under the uniform-max law
SHRINKING = {**DATA, "estimate": [1.0, 0.7, 0.69, 0.6, 2.0, 1.6, 1.55]}
#: (b, alpha) inside the uniform-max support for SHRINKING (at n = 16: b 2^-alpha < 0.072)
USER_POINTS = [(0.1, 0.8), (0.05, 1.7)]
GAMMA_SCALE = from_moment_map("gamma-scale", parameter="theta",
                              law="theta * Gamma(n*k, 1)/(n*k)", constants={"k": 2.5},
                              domain="positive", kind="scale")
UNIFORM_MAX = from_moment_map("uniform-max", parameter="theta",
                              law="theta * (n + 1)/n * Beta(n, 1)", domain="positive",
                              kind="scale")
BETA_2 = from_moment_map("beta-two", parameter="theta", law="theta * (n + 2)/n * Beta(n, 2)",
                         domain="positive", kind="scale")
INVERSE = from_moment_map("inverse-rate", parameter="lam", law="lam * (n - 1) / Gamma(n, 1)",
                          domain="positive", kind="rate", min_size=3)


def user_scipy_loglik(fam, data, b, alpha):
    """Independent: scipy's densities of the ratio y = current / previous."""
    prev, cur, n = steps(data, fam)
    c = 1 - b * (n / N_MIN) ** -alpha
    y = cur / prev
    if fam is GAMMA_SCALE:  # y ~ c Gamma(2.5 n, 1) / (2.5 n)
        return stats.gamma.logpdf(y, a=2.5 * n, scale=c / (2.5 * n)).sum()
    if fam is INVERSE:  # y ~ c (n - 1) / Gamma(n, 1)
        return stats.invgamma.logpdf(y, a=n, scale=c * (n - 1)).sum()
    second = 1 if fam is UNIFORM_MAX else 2  # y ~ c (n + b) / n Beta(n, b)
    s = c * (n + second) / n
    return (stats.beta.logpdf(y / s, n, second) - np.log(s)).sum()


@pytest.mark.parametrize(("fam", "name"), [(GAMMA_SCALE, "gamma"), (INVERSE, "inverse_gamma"),
                                           (UNIFORM_MAX, "beta"), (BETA_2, "beta")])
@pytest.mark.parametrize("sufficient", [True, False])
def test_user_law_likelihood_matches_scipy(fam, name, sufficient):
    """The per-law likelihood at fixed (b, alpha), then the whole model's log-density."""
    like = family_likelihood(fam)
    assert like.name == name and like.exact
    stats_ = sufficient_statistics(SHRINKING, fam, sufficient=sufficient)
    assert stats_.likelihood == name and stats_.exact
    assert stats_.sufficient == (sufficient and name != "beta")  # Beta: per transition only
    per = sufficient_statistics(SHRINKING, fam, sufficient=False).arrays
    data = {k: pt.as_tensor_variable(v) for k, v in per.items()}
    for b, a in USER_POINTS:
        c = pt.as_tensor_variable(1 - b * (per["n"] / N_MIN) ** -a)
        ours = float(like.density(data, c).sum().eval())
        assert np.isfinite(ours)
        assert ours == pytest.approx(user_scipy_loglik(fam, SHRINKING, b, a), rel=1e-10)
    model = build_model(SHRINKING, family=fam, sufficient=sufficient)
    logp = model.compile_logp(jacobian=False)
    for b, a in USER_POINTS:
        if name != "beta":
            ours = float(logp(point(model, b, a)))
            extra = 0.0
        else:  # b = B(alpha) * b_fraction: pick the fraction, read b off the model
            raw = (a - DEFAULT.alpha_low) / (DEFAULT.alpha_high - DEFAULT.alpha_low)
            values = {"b_fraction_logodds__": np.asarray(special.logit(0.7)),
                      "alpha_raw_logodds__": np.asarray(special.logit(raw))}
            b = float(model.compile_fn(model.replace_rvs_by_values([model["b"]])[0],
                                       inputs=model.value_vars)(values))
            ours = float(logp(values))
            extra = np.log(b / 0.7)  # the Jacobian B(alpha) of b = B(alpha) * fraction
        direct = prior_logp(b, a) + extra + user_scipy_loglik(fam, SHRINKING, b, a)
        assert np.isfinite(direct)
        assert ours == pytest.approx(direct, abs=BETA_NORMALISER)


def test_beta_law_bounds_b_by_the_largest_step():
    """Under c (n + 1)/n Beta(n, 1) every ratio y_t < c_t (n_t + 1)/n_t: b stays below
    B(alpha) = min(1, min_t (1 - y_t n_t/(n_t + 1)) (n_t/n_min)^alpha) whatever the fraction."""
    model = build_model(SHRINKING, family=UNIFORM_MAX)
    assert {v.name for v in model.free_RVs} == {"b_fraction", "alpha_raw"}
    prev, cur, n = steps(SHRINKING, UNIFORM_MAX)
    f = model.compile_fn(model.replace_rvs_by_values([model["b"], model["alpha"]]),
                         inputs=model.value_vars)
    for fraction, raw in ((0.999999, 0.1), (0.5, 0.5), (1 - 1e-9, 0.9)):
        b, a = f({"b_fraction_logodds__": np.asarray(special.logit(fraction)),
                  "alpha_raw_logodds__": np.asarray(special.logit(raw))})
        bound = min(1.0, np.min((1 - cur / prev * n / (n + 1)) * (n / N_MIN) ** a))
        assert b == pytest.approx(fraction * bound, rel=1e-12)
        c = 1 - b * (n / N_MIN) ** -a
        assert np.all(cur / prev < c * (n + 1) / n)


def test_a_step_impossible_under_the_law_is_named():
    with pytest.raises(ValueError, match=r"row 3, column 'estimate': 0\.75 after 0\.7 is "
                                         r"impossible under the law .* of uniform-max"):
        build_model(DATA, family=UNIFORM_MAX)


def test_family_file_gives_the_same_likelihood(tmp_path):
    path = tmp_path / "gamma.toml"
    path.write_text('name = "gamma-scale"\nparameter = "theta"\ndomain = "positive"\n'
                    'kind = "scale"\nlaw = "theta * Gamma(n*k, 1)/(n*k)"\n'
                    '[constants]\nk = 2.5\n')
    from_file = sufficient_statistics(SHRINKING, str(path))
    declared = sufficient_statistics(SHRINKING, GAMMA_SCALE)
    assert from_file.likelihood == "gamma"
    for key, values in declared.arrays.items():
        np.testing.assert_allclose(from_file.arrays[key], values, rtol=1e-14)


def test_moment_map_only_is_the_labelled_normal_approximation():
    fam = from_moment_map("my-scale-2", parameter="theta", mean="theta",
                          variance="theta**2/n", domain="positive", kind="scale")
    like = family_likelihood(fam)
    assert not like.exact and "normal approximation" in like.description
    assert not sufficient_statistics(DATA, fam).exact
    assert family_likelihood("gaussian-mean").exact  # an exact Normal law
    assert family_likelihood("gaussian-variance").description.startswith("exact")
    model = build_model(DATA, family=fam)
    assert model._modelcollapse["exact"] is False


@dataclass(frozen=True, repr=False)
class ScaledLogNormal(Law):
    """scale * exp(s Z - s^2/2): a law without a registered likelihood."""

    s2: sp.Expr
    scale: sp.Expr
    name: ClassVar[str] = "scaled_lognormal"

    def mean(self):
        return self.scale

    def variance(self):
        return self.scale**2 * (sp.exp(self.s2) - 1)

    def scaled(self, factor):
        return ScaledLogNormal(self.s2, factor * self.scale)


def test_a_law_without_likelihood_falls_back_to_the_normal_approximation():
    theta = Parameter("theta", "theta", "positive", 1.0, "scale")
    law = ScaledLogNormal(1 / symbols.n, theta.symbol)
    fam = Family(name="lognormal-scale", title="test", parameters=(theta,),
                 estimators={"exact": Estimator("exact", "test", {"theta": law}, 2)},
                 default_estimator="exact", collapse="test")
    assert type(law) not in step_likelihood.registry
    like = family_likelihood(fam)
    assert (like.name, like.exact) == ("normal_scale", False)
    model = build_model(DATA, family=fam)
    logp = model.compile_logp(jacobian=False)
    prev, cur, n = steps(DATA, fam)
    b, a = POINTS[0]
    c = 1 - b * (n / N_MIN) ** -a
    sd = c * prev * np.sqrt(np.exp(1 / n) - 1)  # N(c m, c^2 v) of the moments, c applied
    direct = prior_logp(b, a) + stats.norm.logpdf(cur, c * prev, sd).sum()
    assert float(logp(point(model, b, a))) == pytest.approx(direct, abs=BETA_NORMALISER)


def test_laws_of_the_vocabulary_are_registered_once_each():
    for law in (ScaledChiSquare, ScaledGamma, InverseGamma, ScaledBeta, PoissonMean, Normal):
        assert law in step_likelihood.registry


def test_noisy_refuses_a_law_whose_support_moves_with_the_bias():
    with pytest.raises(ValueError, match="noisy=True needs a family with an exact "
                                         "multiplicative law.*uniform-max has a beta"):
        build_model(SHRINKING, family=UNIFORM_MAX, noisy=True)
    model = build_model(SHRINKING, family=GAMMA_SCALE, noisy=True)  # a Gamma law: fine
    assert "log_theta" in {v.name for v in model.free_RVs}


@pytest.mark.parametrize(("fam", "floor"), [(GAMMA_SCALE, 1.0), (UNIFORM_MAX, 0.5)])
def test_required_growth_exponent_uses_the_family_floor(fam, floor):
    """p* = max(p*_0, 1/alpha): the unbiased uniform maximum has noise of order n^-2, so its
    floor is 1/2 (a gamma scale's is 1); checked against numpy on the model's own draws."""
    assert growth_floor(fam) == floor
    model = build_model(SHRINKING, family=fam)
    outs = model.replace_rvs_by_values([model["alpha"], model["required_growth_exponent"]])
    raw_alpha = model.rvs_to_values[model["alpha_raw"]]
    f = model.compile_fn(outs, inputs=[raw_alpha], point_fn=False)
    low, high = DEFAULT.alpha_low, DEFAULT.alpha_high
    for a in (0.6, 1.5, 2.5):  # 1/a above, between and below the floors
        raw = (a - low) / (high - low)
        alpha, p = f(np.asarray(special.logit(raw)))
        assert alpha == pytest.approx(a)
        assert p == pytest.approx(max(floor, 1 / a))
