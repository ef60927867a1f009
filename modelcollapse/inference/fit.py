r"""Fit the bias model (:func:`modelcollapse.inference.model.build_model`) by NUTS.

:func:`fit_bias` returns a :class:`BiasPosterior`: the ArviZ ``InferenceData`` plus the draws of
:math:`\kappa`, :math:`\alpha` and :math:`p^* = \max(1, 1/\alpha)`, their summary and the
sampler's diagnostics. It prints as a table, as LaTeX in a notebook, and converts to a dict
(the ``infer --json`` keys) and to netCDF.
"""

from __future__ import annotations

import importlib.util
import logging
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

with warnings.catch_warnings():
    # ArviZ 0.23 announces its 1.x refactor once a day on first import (PyMC imports it too):
    # a FutureWarning about ArviZ's own plans, not about anything the user did
    warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing", category=FutureWarning)
    import arviz as az
    import pymc as pm

from modelcollapse.arguments import choice, integer, probability
from modelcollapse.families import Family
from modelcollapse.guards import check_posterior
from modelcollapse.inference.data import Trajectories
from modelcollapse.inference.model import Priors, _as_data, build_model

__all__ = ["fit_bias", "BiasPosterior", "ConvergenceWarning", "SAMPLERS", "RHAT_MAX",
           "ESS_MIN", "HDI_PROB"]

SAMPLERS = ("auto", "pymc", "nutpie")
#: thresholds of the convergence warning
RHAT_MAX = 1.01
ESS_MIN = 400
#: probability mass of the reported highest-density intervals (ArviZ's default)
HDI_PROB = 0.94
#: the variables the summary reports
REPORTED = ("kappa", "alpha", "b", "required_growth_exponent")


class ConvergenceWarning(UserWarning):
    """The sampler's diagnostics are not good enough to trust the posterior: r-hat above
    :data:`RHAT_MAX`, bulk effective sample size below :data:`ESS_MIN`, or divergences."""


@contextmanager
def _quiet(verbose: bool) -> Iterator[None]:
    """Keep PyMC's informational log lines and a known PyTensor installation warning out of
    the library's output (``verbose`` keeps the log lines)."""
    logger = logging.getLogger("pymc")
    level = logger.level
    if not verbose:
        logger.setLevel(logging.ERROR)  # ConvergenceWarning reports what matters
    try:
        with warnings.catch_warnings():
            # pip-installed PyTensor without a BLAS: slower matrix products, which these
            # models (elementwise sums) do not use
            warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS",
                                    category=UserWarning)
            # the dense mass matrix chosen below for the two-parameter models: PyMC has had it
            # for years and still labels it experimental
            warnings.filterwarnings("ignore", message="QuadPotentialFullAdapt is an experimental",
                                    category=UserWarning)
            yield
    finally:
        logger.setLevel(level)


def _extreme(arrays: list[np.ndarray], how: Any) -> float:
    """Max or min over the finite values (r-hat and ESS are NaN for a constant variable)."""
    values = np.concatenate([a.reshape(-1) for a in arrays]) if arrays else np.array([])
    values = values[np.isfinite(values)]
    return float(how(values)) if values.size else float("nan")


def _choose_sampler(sampler: str) -> str:
    sampler = choice("sampler", sampler, SAMPLERS)
    available = importlib.util.find_spec("nutpie") is not None
    if sampler == "auto":
        return "nutpie" if available else "pymc"
    if sampler == "nutpie" and not available:
        raise ValueError("sampler 'nutpie' needs the nutpie package (pip install nutpie); "
                         "allowed: pymc, auto")
    return sampler


@dataclass
class BiasPosterior:
    """Posterior of the bias :math:`c(n) = 1 - \\kappa n^{-\\alpha}` given trajectories.

    ``idata`` is the ArviZ ``InferenceData`` (posterior, sample_stats, observed data);
    :attr:`kappa`, :attr:`alpha`, :attr:`b`, :attr:`required_growth_exponent` are the flat
    draws (chains concatenated). ``likelihood`` names the model's likelihood
    (:attr:`~modelcollapse.inference.model.StepLikelihood.name`); ``exact`` is False when it
    is the normal approximation :math:`N(m, v)` of the moment map (a family declared without
    an exact law), which the summary then says.
    """

    idata: az.InferenceData
    family: str
    sampler: str
    seconds: float
    n_trajectories: int
    n_transitions: int
    noisy: bool = False
    #: the smallest observed n_t (t >= 1): b = kappa * n_min**-alpha
    n_min: float = float("nan")
    priors: Priors = field(default_factory=Priors)
    hdi_prob: float = HDI_PROB
    likelihood: str = ""
    exact: bool = True
    #: one line on the likelihood (which exact law, or the normal approximation)
    likelihood_description: str = ""

    def draws(self, name: str) -> np.ndarray:
        """Flat posterior draws of one variable."""
        return np.asarray(self.idata.posterior[name].values, dtype=float).reshape(-1)

    @property
    def kappa(self) -> np.ndarray:
        return self.draws("kappa")

    @property
    def alpha(self) -> np.ndarray:
        return self.draws("alpha")

    @property
    def b(self) -> np.ndarray:
        return self.draws("b")

    @property
    def required_growth_exponent(self) -> np.ndarray:
        return self.draws("required_growth_exponent")

    def _diagnosed(self) -> list[str]:
        """Variables whose r-hat and ESS are checked: every sampled one except the
        deterministic p* (constant 1 when alpha > 1 everywhere, where r-hat is undefined)."""
        return [v for v in self.idata.posterior.data_vars
                if v not in ("required_growth_exponent", "alpha_raw") and not v.endswith("__")]

    def summary(self) -> Any:
        """``arviz.summary`` (a pandas DataFrame) of kappa, alpha, b and p*."""
        with _quiet(False), np.errstate(invalid="ignore", divide="ignore"):
            return az.summary(self.idata, var_names=list(REPORTED), hdi_prob=self.hdi_prob)

    @property
    def rhat_max(self) -> float:
        """Largest rank-normalised r-hat over the sampled variables (NaN with one chain)."""
        if self.chains < 2:
            return float("nan")
        with _quiet(False), np.errstate(invalid="ignore", divide="ignore"):
            r = az.rhat(self.idata, var_names=self._diagnosed())
        return _extreme([np.asarray(r[v]) for v in r.data_vars], np.max)

    @property
    def ess_bulk_min(self) -> float:
        """Smallest bulk effective sample size over the sampled variables."""
        with _quiet(False), np.errstate(invalid="ignore", divide="ignore"):
            e = az.ess(self.idata, var_names=self._diagnosed(), method="bulk")
        return _extreme([np.asarray(e[v]) for v in e.data_vars], np.min)

    @property
    def divergences(self) -> int:
        """Number of divergent transitions after tuning."""
        return int(np.asarray(self.idata.sample_stats["diverging"].values).sum())

    @property
    def chains(self) -> int:
        return int(self.idata.posterior.sizes["chain"])

    @property
    def draws_per_chain(self) -> int:
        return int(self.idata.posterior.sizes["draw"])

    def problems(self) -> list[str]:
        """Why the diagnostics fail (empty when they pass)."""
        out = []
        if self.chains < 2:
            out.append("r-hat needs at least 2 chains")
        elif not self.rhat_max <= RHAT_MAX:
            out.append(f"r-hat {self.rhat_max:.3f} > {RHAT_MAX}")
        if not self.ess_bulk_min >= ESS_MIN:
            out.append(f"bulk ESS {self.ess_bulk_min:.0f} < {ESS_MIN}")
        if self.divergences > 0:
            out.append(f"{self.divergences} divergent transition"
                       f"{'s' if self.divergences > 1 else ''}")
        return out

    def stats(self, name: str) -> dict[str, float]:
        """``mean``, ``sd``, ``hdi_low``, ``hdi_high`` of one variable (the JSON form)."""
        x = self.draws(name)
        with np.errstate(invalid="ignore", divide="ignore"):
            low, high = az.hdi(x, hdi_prob=self.hdi_prob)
        return {"mean": float(x.mean()), "sd": float(x.std(ddof=1)), "hdi_low": float(low),
                "hdi_high": float(high)}

    def to_dict(self) -> dict[str, Any]:
        """The ``infer --json`` keys this object knows (``collapse_probability`` comes from
        :mod:`modelcollapse.inference.answers`)."""
        return {**{k: self.stats(k) for k in ("kappa", "alpha", "required_growth_exponent")},
                "b": self.stats("b"), "hdi_prob": self.hdi_prob,
                "rhat_max": self.rhat_max, "ess_bulk_min": self.ess_bulk_min,
                "divergences": self.divergences, "chains": self.chains,
                "draws": self.draws_per_chain, "sampler": self.sampler,
                "family": self.family, "noisy": self.noisy,
                "trajectories": self.n_trajectories, "transitions": self.n_transitions,
                "n_min": self.n_min, "likelihood": self.likelihood,
                "likelihood_exact": self.exact,
                "likelihood_description": self.likelihood_description,
                "seconds": self.seconds}

    def to_netcdf(self, path: str) -> str:
        """Write the InferenceData to a netCDF file; returns the path."""
        return self.idata.to_netcdf(str(path))

    def _rows(self) -> list[tuple[str, dict[str, float]]]:
        return [(k, self.stats(k)) for k in REPORTED]

    def __str__(self) -> str:
        pct = f"{100 * self.hdi_prob:g}%"
        lines = [f"Bias posterior for {self.family}: c(n) = 1 - kappa n^-alpha "
                 f"({self.n_trajectories} trajectories, {self.n_transitions} transitions"
                 f"{', noisy' if self.noisy else ''})",
                 f"{'':26}{'mean':>9}{'sd':>9}{'hdi ' + pct + ' low':>16}{'high':>9}"]
        for name, s in self._rows():
            lines.append(f"{name:26}{s['mean']:9.4g}{s['sd']:9.3g}{s['hdi_low']:16.4g}"
                         f"{s['hdi_high']:9.4g}")
        lines.append(f"{self.sampler} NUTS, {self.chains} chains x {self.draws_per_chain} draws "
                     f"({self.seconds:.1f} s): r-hat max {self.rhat_max:.3f}, bulk ESS min "
                     f"{self.ess_bulk_min:.0f}, divergences {self.divergences}")
        if self.likelihood_description:
            lines.append(f"likelihood: {self.likelihood_description}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"BiasPosterior({self.family}, kappa {self.kappa.mean():.3g}, alpha "
                f"{self.alpha.mean():.3g}, {self.chains}x{self.draws_per_chain} draws)")

    def _repr_latex_(self) -> str:
        names = {"kappa": r"\kappa", "alpha": r"\alpha", "b": r"b = \kappa n_{\min}^{-\alpha}",
                 "required_growth_exponent": r"p^{*} = \max(p^{*}_{0}, 1/\alpha)"}
        pct = f"{100 * self.hdi_prob:g}\\%"
        rows = " \\\\ ".join(
            f"{names[k]} & {s['mean']:.4g} & {s['sd']:.3g} & [{s['hdi_low']:.4g}, "
            f"{s['hdi_high']:.4g}]" for k, s in self._rows())
        return (r"$\begin{array}{lrrc} & \text{mean} & \text{sd} & \text{HDI " + pct + r"}"
                r" \\ \hline " + rows + r"\end{array}$")


def fit_bias(data: Any, *, family: str | Family | None = None, priors: Priors | None = None,
             noisy: bool = False, draws: int = 1000, tune: int = 1000, chains: int = 4,
             seed: int = 0, sampler: str = "auto", progress: bool | None = None,
             cores: int | None = None, target_accept: float = 0.9,
             params: Mapping[str, float] | None = None,
             model: pm.Model | None = None) -> BiasPosterior:
    r"""Posterior of the bias exponent and amplitude (:math:`\alpha`, :math:`\kappa`) from
    observed trajectories.

    ``data``: :class:`~modelcollapse.inference.data.Trajectories` or anything
    :func:`~modelcollapse.inference.data.load_trajectories` reads (a CSV path, a DataFrame, a
    mapping of columns). ``family``: None for that of ``data`` (gaussian-variance for a raw
    table), a registered name, a family file (``*.toml``) or a
    :class:`~modelcollapse.families.Family`; any family whose parameter is a location, scale
    or rate works: its law gives the likelihood (the normal approximation of its moment map
    when it declares no exact law; :attr:`BiasPosterior.exact` says which).
    ``priors``, ``noisy``, ``params``: see
    :func:`~modelcollapse.inference.model.build_model`; or pass a prebuilt ``model`` (then
    ``data`` must match it: use :func:`~modelcollapse.inference.model.set_data`).

    ``sampler``: ``"auto"`` uses nutpie when it is installed, else PyMC's NUTS. ``seed`` makes
    the draws reproducible. ``progress``: PyMC's progress bar and log lines (off unless True).
    ``cores``: parallel chains (PyMC's default: the number of CPUs, at most ``chains``).

    After sampling, one :class:`ConvergenceWarning` names every failed diagnostic (r-hat >
    1.01, bulk ESS < 400, divergences).
    """
    draws = integer("draws", draws, low=1)
    tune = integer("tune", tune, low=0)
    chains = integer("chains", chains, low=1)
    seed = integer("seed", seed, low=0)
    target_accept = probability("target_accept", target_accept)
    chosen = _choose_sampler(sampler)
    tr: Trajectories = _as_data(data, family)
    check_posterior(draws, chains, tr.n_transitions)  # the draws must fit in memory
    verbose = bool(progress)
    start = time.perf_counter()
    with _quiet(verbose):
        if model is None:
            model = build_model(tr, priors=priors, noisy=noisy, params=params)
        kwargs: dict[str, Any] = {
            "draws": draws, "tune": tune, "chains": chains, "random_seed": seed,
            "progressbar": verbose, "compute_convergence_checks": False, "model": model,
            "target_accept": target_accept, "nuts_sampler": chosen,
        }
        if cores is not None:
            kwargs["cores"] = integer("cores", cores, low=1)
        if chosen == "pymc":
            # b and alpha are strongly correlated (the data fix the bias near the typical n,
            # b is the bias at the smallest n): a dense mass matrix samples the two-parameter
            # model several times more efficiently. The noisy model has one latent per
            # observation: diagonal, and no jitter around the observed path.
            kwargs["init"] = "adapt_diag" if noisy else "jitter+adapt_full"
        else:  # nutpie's answer to the same correlation
            kwargs["nuts_sampler_kwargs"] = {"low_rank_modified_mass_matrix": True}
        idata = pm.sample(**kwargs)
    spec = getattr(model, "_modelcollapse", {})
    posterior = BiasPosterior(idata=idata, family=tr.family, sampler=chosen,
                              seconds=time.perf_counter() - start, n_trajectories=len(tr),
                              n_transitions=tr.n_transitions, noisy=noisy,
                              n_min=float(model["n_min"].get_value()),
                              priors=priors or Priors(),
                              likelihood=spec.get("likelihood", ""),
                              exact=spec.get("exact", True),
                              likelihood_description=spec.get("description", ""))
    problems = posterior.problems()
    if problems:
        warnings.warn(f"the posterior may be unreliable: {'; '.join(problems)} "
                      f"(allowed: r-hat <= {RHAT_MAX}, bulk ESS >= {ESS_MIN}, no divergences); "
                      "run more draws or tune, or raise target_accept",
                      ConvergenceWarning, stacklevel=2)
    return posterior
