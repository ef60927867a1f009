r"""Fit the bias model (:func:`modelcollapse.inference.model.build_model`) by NUTS.

:func:`fit_bias` returns a :class:`BiasPosterior`: the ArviZ ``InferenceData`` plus the draws of
:math:`\kappa`, :math:`\alpha` and :math:`p^* = \max(1, 1/\alpha)`, their summary and the
sampler's diagnostics. It prints as a table, as LaTeX in a notebook, and converts to a dict
(the ``infer --json`` keys) and to netCDF.
"""

from __future__ import annotations

import html
import importlib.util
import json
import logging
import os
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
    import pytensor
    import pytensor.tensor as pt
    from pymc.backends.arviz import (
        coords_and_dims_for_inferencedata,
        dict_to_dataset,
        find_constants,
        find_observations,
    )
    from pymc.blocking import DictToArrayBijection
    from pymc.model.fgraph import clone_model
    from pymc.model.transform.conditioning import remove_value_transforms
    from pymc.sampling.mcmc import _init_jitter
    from pymc.step_methods.hmc import quadpotential
    from pytensor.graph.replace import vectorize_graph

from modelcollapse.arguments import choice, integer, probability
from modelcollapse.families import Family
from modelcollapse.families.files import loads
from modelcollapse.guards import check_posterior
from modelcollapse.inference.data import Trajectories, load_trajectories
from modelcollapse.inference.model import Priors, _as_data, build_model, set_data
from modelcollapse.outputs import raise_if_interrupted, write_with
from modelcollapse.theory.latex import latex_escape

__all__ = ["fit_bias", "BiasPosterior", "ConvergenceWarning", "SAMPLERS", "RHAT_MAX",
           "ESS_MIN", "HDI_PROB"]

SAMPLERS = ("pymc", "nutpie", "auto")
#: what ``auto`` means: PyMC's NUTS, measured faster than nutpie for one fit of these
#: two-parameter models once compilation counts (benchmarks/infer.py, first fit in a fresh
#: process, 4 x 1000 draws on two cores: 3.6 s against 8.8 s, nutpie's numba compilation
#: dominating); nutpie wins from the second fit on (0.5 s against 2.8 s)
DEFAULT_SAMPLER = "pymc"
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
    # ArviZ's diagnostics use numba when it is installed (nutpie brings it) and compile on
    # first use, about 0.5 s per process: numpy is as fast on arrays of a few thousand draws
    numba = az.Numba.numba_flag
    az.Numba.numba_flag = False
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
        az.Numba.numba_flag = numba


def _extreme(arrays: list[np.ndarray], how: Any) -> float:
    """Max or min over the finite values (r-hat and ESS are NaN for a constant variable)."""
    values = np.concatenate([a.reshape(-1) for a in arrays]) if arrays else np.array([])
    values = values[np.isfinite(values)]
    return float(how(values)) if values.size else float("nan")


def _choose_sampler(sampler: str) -> str:
    sampler = choice("sampler", sampler, SAMPLERS)
    if sampler == "auto":
        return DEFAULT_SAMPLER
    if sampler == "nutpie" and importlib.util.find_spec("nutpie") is None:
        raise ValueError("sampler 'nutpie' needs the nutpie package (pip install nutpie); "
                         "allowed: pymc, auto")
    return sampler


# ---------------------------------------------------------------------------------------------
# compiled models, reused
# ---------------------------------------------------------------------------------------------
#: built models by (family, priors, params, noisy[, shapes]); each carries its compiled NUTS
#: step and log-likelihood function (``model._modelcollapse``), so a second fit of the same
#: family on new data only swaps the data (:func:`~modelcollapse.inference.model.set_data`)
_MODELS: dict[tuple, pm.Model] = {}
#: models kept (oldest dropped first): each holds compiled C functions
_MODELS_MAX = 8


def _cached_model(tr: Trajectories, priors: Priors, noisy: bool,
                  params: Mapping[str, float] | None) -> pm.Model:
    fam = tr.family_def
    key: tuple = (fam.name, id(fam), priors, noisy, tuple(sorted((params or {}).items())))
    if noisy:  # one latent per observation: the graph's shapes are fixed
        key += (len(tr.t), tr.n_transitions)
    model = _MODELS.get(key)
    if model is not None and model._modelcollapse["family"] is fam:
        set_data(model, tr)
        return model
    model = build_model(tr, priors=priors, noisy=noisy, params=params)
    if len(_MODELS) >= _MODELS_MAX:
        _MODELS.pop(next(iter(_MODELS)))
    _MODELS[key] = model
    return model


def _companion(model: pm.Model, data: Trajectories) -> pm.Model:
    """The model whose log-density NUTS evaluates: the model itself, or, for an observed
    model whose law has a sufficient form, the same model written on the sufficient
    statistics (the same free variables and the same log-density, to rounding: one term per
    distinct n_t instead of one per transition, several times cheaper)."""
    spec = model._modelcollapse
    if "companion" not in spec:
        companion = None
        if not spec["noisy"] and not spec["sufficient"] and spec["has_sufficient_form"]:
            companion = build_model(data, family=spec["family"], priors=spec["priors"],
                                    params=spec["params"], sufficient=True)
            if ([v.name for v in companion.value_vars] != [v.name for v in model.value_vars]
                    or companion.observed_RVs):  # pragma: no cover - a law without weights
                companion = None
        spec["companion"] = companion
    return spec["companion"] or model


def _compiled_step(model: pm.Model, data: Trajectories, target_accept: float
                   ) -> tuple[Any, Any]:
    """The model's NUTS step and jitter log-density, compiled once per model (the data are
    shared variables: :func:`~modelcollapse.inference.model.set_data` reaches them)."""
    spec = model._modelcollapse
    key = ("step", target_accept)
    if key not in spec:
        logp_dlogp = _companion(model, data).logp_dlogp_function(ravel_inputs=True)
        logp_dlogp.trust_input = True

        def logp(point: Mapping[str, np.ndarray]) -> Any:
            return logp_dlogp([DictToArrayBijection.map(point).data], extra_vars={})[0]

        step = pm.NUTS(model=model, logp_dlogp_func=logp_dlogp, target_accept=target_accept,
                       initial_point=model.initial_point())
        spec[key] = (step, logp)
    return spec[key]


def _sample_pymc(model: pm.Model, data: Trajectories, *, draws: int, tune: int, chains: int,
                 seed: int, cores: int | None, target_accept: float, progress: bool) -> Any:
    """``pm.sample`` with the model's compiled step: jittered starts and a fresh adaptive
    mass matrix per fit, as ``init="jitter+adapt_full"`` (``adapt_diag`` and no jitter
    around the recorded path for the noisy model) would make them, without compiling again."""
    noisy = model._modelcollapse["noisy"]
    step, logp = _compiled_step(model, data, target_accept)
    seeds = [int(r.integers(2**30)) for r in np.random.default_rng(seed).spawn(chains)]
    starts = _init_jitter(model, None, seeds, not noisy, 10, logp)
    mean = np.mean([DictToArrayBijection.map(p).data for p in starts], axis=0)
    size = len(mean)
    if noisy:
        potential = quadpotential.QuadPotentialDiagAdapt(size, mean, np.ones(size), 10,
                                                         rng=seeds[0])
    else:
        # b and alpha are strongly correlated (the data fix the bias near the typical n, b
        # is the bias at the smallest n): a dense mass matrix samples several times better
        potential = quadpotential.QuadPotentialFullAdapt(size, mean, np.eye(size), 10,
                                                         rng=seeds[0])
    step.potential = step.integrator._potential = potential
    # a step reused from an earlier fit has adapted its step size and stopped tuning: PyMC
    # resets it per chain when sampling sequentially, not in its worker processes
    step.reset_tuning()
    kwargs: dict[str, Any] = {} if cores is None else {"cores": cores}
    idata = pm.sample(draws=draws, tune=tune, chains=chains, step=step, initvals=starts,
                      random_seed=seed, model=model, progressbar=progress,
                      compute_convergence_checks=False, callback=_stop_on_interrupt, **kwargs)
    raise_if_interrupted()  # PyMC returns the draws so far on Ctrl-C: not a result
    return idata


def _stop_on_interrupt(**_: Any) -> None:
    """After every draw: end the sampling once the command line noted a Ctrl-C. PyMC ends a
    chain on a ``KeyboardInterrupt`` and starts the next one; this ends each at once."""
    raise_if_interrupted()


def _sample_nutpie(model: pm.Model, data: Trajectories, *, draws: int, tune: int, chains: int,
                   seed: int, cores: int | None, target_accept: float, progress: bool) -> Any:
    """nutpie on the model (its sufficient form where there is one), compiled once per model:
    a later fit swaps the data into the compiled model (``with_data``); the observed and
    constant data come from the model, as ``pm.sample`` adds them for nutpie."""
    import nutpie

    spec = model._modelcollapse
    target = _companion(model, data)
    # a compiled model serves new data when only data containers change: the sufficient form
    # (no observed variable whose size is a dim length); otherwise compile per fit
    reusable = target is not model or not model.observed_RVs
    compiled = spec.get("nutpie") if reusable else None
    if compiled is None:
        compiled = nutpie.compile_pymc_model(target)
        if reusable:
            spec["nutpie"] = compiled
    else:
        compiled = compiled.with_data(**{v.name: v.get_value() for v in target.data_vars})
    kwargs: dict[str, Any] = {} if cores is None else {"cores": cores}
    idata = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains, seed=seed,
                          target_accept=target_accept, progress_bar=progress,
                          low_rank_modified_mass_matrix=True, save_warmup=False, **kwargs)
    # nutpie also stores the unconstrained values (b_logodds__, ...): the posterior keeps the
    # model's variables, as PyMC's sampler gives them
    internal = [v for v in idata.posterior.data_vars if str(v).endswith("__")]
    idata.posterior = idata.posterior.drop_vars(internal)
    coords, dims = coords_and_dims_for_inferencedata(model)
    groups = {name: dict_to_dataset(values, library=pm, coords=coords, dims=dims,
                                    default_dims=[])
              for name, values in (("observed_data", find_observations(model)),
                                   ("constant_data", find_constants(model))) if values}
    idata.add_groups(groups)
    return idata


def _add_log_likelihood(idata: Any, model: pm.Model) -> None:
    """The pointwise log-likelihood of the observed variables, as
    ``pm.compute_log_likelihood`` gives it, but compiled once per model and evaluated on all
    draws at once (its graph vectorised over a leading draw axis)."""
    spec = model._modelcollapse
    if not model.observed_RVs:
        return
    if "loglik" not in spec:
        # PyMC clones only models without start values (the noisy model's latent path has
        # one); the clone computes densities, it never starts a sampler
        starts = dict(model.rvs_to_initial_values)
        model.rvs_to_initial_values.update(dict.fromkeys(starts))
        try:
            umodel = remove_value_transforms(model)
        finally:
            model.rvs_to_initial_values.update(starts)
        outs = umodel.logp(vars=list(umodel.observed_RVs), sum=False)
        batched = [pt.tensor(f"{v.name}_draws", dtype=v.dtype, shape=(None, *v.type.shape))
                   for v in umodel.value_vars]
        outs = vectorize_graph(outs, replace=dict(zip(umodel.value_vars, batched, strict=True)))
        fn = pytensor.function(batched, outs, on_unused_input="ignore")
        spec["loglik"] = (umodel, fn, [rv.name for rv in umodel.free_RVs],
                          [rv.name for rv in umodel.observed_RVs])
    umodel, fn, free, observed = spec["loglik"]
    # the clone has its own data containers: give them the model's present data
    pm.set_data({v.name: v.get_value() for v in model.data_vars}, model=umodel,
                coords={k: v for k, v in model.coords.items() if v is not None})
    post = idata.posterior
    shape = (post.sizes["chain"], post.sizes["draw"])
    values = fn(*(np.asarray(post[name].values).reshape(-1, *post[name].shape[2:])
                  for name in free))
    coords, dims = coords_and_dims_for_inferencedata(model)
    dataset = dict_to_dataset(
        {name: np.asarray(v).reshape(*shape, *np.shape(v)[1:])
         for name, v in zip(observed, values, strict=True)},
        library=pm, coords={**coords, "chain": post["chain"].values,
                            "draw": post["draw"].values}, dims=dims)
    idata.add_groups({"log_likelihood": dataset})


def _add_posterior_predictive(idata: Any, model: pm.Model, seed: int) -> None:
    # on a copy: sampling the predictive leaves the model unable to compile its logp
    # (PyMC 5.28), and the model is reused
    copy = clone_model(model)
    pm.sample_posterior_predictive(idata, model=copy, random_seed=seed, progressbar=False,
                                   extend_inferencedata=True)


@dataclass
class BiasPosterior:
    """Posterior of the bias :math:`c(n) = 1 - \\kappa n^{-\\alpha}` (the factor of a scale or
    rate) or of the shift :math:`\\theta + \\kappa n^{-\\alpha}` (a location) given
    trajectories.

    ``idata`` is the ArviZ ``InferenceData`` (posterior, sample_stats, observed_data,
    constant_data, log_likelihood; its ``attrs`` hold what :meth:`from_netcdf` needs);
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
    #: the trajectories fitted (None when a reloaded file's family cannot be resolved)
    data: Trajectories | None = None
    #: values of the family's known constants
    params: dict[str, float] = field(default_factory=dict)
    #: the text of the family file the family came from (empty for a named family)
    family_file: str = ""

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
        with _quiet(False), np.errstate(invalid="ignore", divide="ignore"):
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

    def _write_attrs(self) -> None:
        """What :meth:`from_netcdf` needs, as netCDF attributes (text and numbers) of the
        InferenceData: family (name and file text), priors, constants, data, version."""
        from modelcollapse import __version__

        self.idata.attrs.update({
            "modelcollapse_version": __version__, "family": self.family,
            "family_file": self.family_file, "priors": json.dumps(self.priors.to_dict()),
            "params": json.dumps(self.params),
            "data": json.dumps(self.data.to_dict() if self.data is not None else None),
            "sampler": self.sampler, "seconds": self.seconds,
            "n_trajectories": self.n_trajectories, "n_transitions": self.n_transitions,
            "noisy": int(self.noisy), "n_min": self.n_min, "hdi_prob": self.hdi_prob,
            "likelihood": self.likelihood, "likelihood_exact": int(self.exact),
            "likelihood_description": self.likelihood_description})

    def to_netcdf(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> str:
        """Write the InferenceData (with the attributes :meth:`from_netcdf` reads) to a netCDF
        file; returns the path. ``az.from_netcdf`` reads it too. Written atomically
        (:func:`modelcollapse.outputs.write_with`); an existing file only with
        ``overwrite=True``."""
        self._write_attrs()
        return write_with(path, self.idata.to_netcdf, overwrite=overwrite, name="path")

    @classmethod
    def from_netcdf(cls, path: str | os.PathLike[str]) -> BiasPosterior:
        """The posterior :meth:`to_netcdf` wrote (``infer --out POST.nc``), with its family,
        priors, constants and data."""
        idata = az.from_netcdf(str(path))
        a = idata.attrs
        if "modelcollapse_version" not in a:
            raise ValueError(f"{path} was not written by BiasPosterior.to_netcdf (no "
                             "modelcollapse_version attribute)")
        priors = Priors(**{k: tuple(v) if isinstance(v, list) else v
                           for k, v in json.loads(a["priors"]).items()})
        columns = json.loads(a["data"])
        try:
            family: Any = (loads(str(a["family_file"])) if a.get("family_file")
                           else str(a["family"]))
            data = None if columns is None else load_trajectories(columns, family=family)
        except ValueError:  # a family built in Python and not registered here, or a family
            # file this version no longer reads: the posterior itself still loads
            data = None
        return cls(idata=idata, family=str(a["family"]), sampler=str(a["sampler"]),
                   seconds=float(a["seconds"]), n_trajectories=int(a["n_trajectories"]),
                   n_transitions=int(a["n_transitions"]), noisy=bool(a["noisy"]),
                   n_min=float(a["n_min"]), priors=priors, hdi_prob=float(a["hdi_prob"]),
                   likelihood=str(a["likelihood"]), exact=bool(a["likelihood_exact"]),
                   likelihood_description=str(a["likelihood_description"]), data=data,
                   params=json.loads(a["params"]), family_file=str(a["family_file"]))

    def loo(self, by: str = "transition") -> Any:
        """``arviz.loo`` of the fit: leave one ``transition`` out, or one ``trajectory`` (the
        pointwise log-likelihood summed over each trajectory's transitions)."""
        by = choice("by", by, ("transition", "trajectory"))
        with _quiet(False), np.errstate(invalid="ignore", divide="ignore"):
            if by == "transition":
                return az.loo(self.idata)
            return az.loo(self.by_trajectory())

    def by_trajectory(self) -> Any:
        """The InferenceData with the pointwise log-likelihood summed per trajectory (dim
        ``trajectory``): the input of ``az.loo``/``az.compare`` leaving out whole
        trajectories."""
        groups = self.idata.log_likelihood.groupby(
            self.idata.constant_data["trajectory"].rename("trajectory")).sum()
        return az.InferenceData(posterior=self.idata.posterior, log_likelihood=groups)

    def _rows(self) -> list[tuple[str, dict[str, float]]]:
        return [(k, self.stats(k)) for k in REPORTED]

    @property
    def location(self) -> bool:
        """Whether the bias is the shift of a location (the model's likelihood says so:
        :data:`~modelcollapse.inference.model.BIAS_SHIFT`), not a factor."""
        return self.likelihood == "normal_location"

    def _bias_form(self) -> tuple[str, str]:
        """The bias as the model has it, as text and as LaTeX."""
        if self.location:
            return "theta + kappa n^-alpha", r"\theta + \kappa n^{-\alpha}"
        return "c(n) = 1 - kappa n^-alpha", r"c(n) = 1 - \kappa n^{-\alpha}"

    def _diagnostics(self) -> str:
        return (f"r-hat max {self.rhat_max:.3f}, bulk ESS min {self.ess_bulk_min:.0f}, "
                f"divergences {self.divergences}")

    def __str__(self) -> str:
        pct = f"{100 * self.hdi_prob:g}%"
        lines = [f"Bias posterior for {self.family}: {self._bias_form()[0]} "
                 f"({self.n_trajectories} trajectories, {self.n_transitions} transitions"
                 f"{', noisy' if self.noisy else ''})",
                 f"{'':26}{'mean':>9}{'sd':>9}{'hdi ' + pct + ' low':>16}{'high':>9}"]
        for name, s in self._rows():
            lines.append(f"{name:26}{s['mean']:9.4g}{s['sd']:9.3g}{s['hdi_low']:16.4g}"
                         f"{s['hdi_high']:9.4g}")
        lines.append(f"{self.sampler} NUTS, {self.chains} chains x {self.draws_per_chain} draws "
                     f"({self.seconds:.1f} s): {self._diagnostics()}")
        if self.likelihood_description:
            lines.append(f"likelihood: {self.likelihood_description}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"BiasPosterior({self.family}, kappa {self.kappa.mean():.3g}, alpha "
                f"{self.alpha.mean():.3g}, {self.chains}x{self.draws_per_chain} draws)")

    def _repr_latex_(self) -> str:
        names = {"kappa": r"\kappa", "alpha": r"\alpha", "b": r"b = \kappa n_{\min}^{-\alpha}",
                 "required_growth_exponent": r"p^{*} = \max(p^{*}_{0}, 1/\alpha)"}
        rows = r" \\ ".join(
            f"{names[k]} & {s['mean']:.4g} & {s['sd']:.3g} & [{s['hdi_low']:.4g}, "
            f"{s['hdi_high']:.4g}]" for k, s in self._rows())
        title = (r"\multicolumn{4}{l}{\text{Bias posterior for "
                 + latex_escape(self.family) + ": }" + self._bias_form()[1] + r"} \\ ")
        # the percent sign outside \text: MathJax prints text-mode "\%" with its backslash
        return (r"$\begin{array}{lrrc} " + title + r"& \text{mean} & \text{sd} & \text{HDI }"
                f"{100 * self.hdi_prob:g}" r"\%" r" \\ \hline " + rows
                + r" \\ \hline \multicolumn{4}{l}{\text{" + self._diagnostics() + r"}}"
                r"\end{array}$")

    def _repr_html_(self) -> str:
        pct = f"{100 * self.hdi_prob:g}%"
        head = "".join(f"<th>{h}</th>" for h in ("", "mean", "sd", f"HDI {pct} low", "high"))
        body = "".join(
            f"<tr><td>{k}</td><td>{s['mean']:.4g}</td><td>{s['sd']:.3g}</td>"
            f"<td>{s['hdi_low']:.4g}</td><td>{s['hdi_high']:.4g}</td></tr>"
            for k, s in self._rows())
        title = html.escape(str(self).splitlines()[0])
        notes = [f"{self.sampler} NUTS, {self.chains} chains x {self.draws_per_chain} draws "
                 f"({self.seconds:.1f} s): {self._diagnostics()}"]
        if self.likelihood_description:
            notes.append(f"likelihood: {self.likelihood_description}")
        notes += [f"warning: {p}" for p in self.problems()]
        foot = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
        return (f"<div><p><b>{title}</b></p><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>{foot}</div>")


def fit_bias(data: Any, *, family: str | Family | None = None, priors: Priors | None = None,
             noisy: bool = False, draws: int = 1000, tune: int = 1000, chains: int = 4,
             seed: int = 0, sampler: str = DEFAULT_SAMPLER, progress: bool | None = None,
             cores: int | None = None, target_accept: float = 0.9,
             params: Mapping[str, float] | None = None,
             model: pm.Model | None = None, predictive: bool = False) -> BiasPosterior:
    r"""Posterior of the bias exponent and amplitude (:math:`\alpha`, :math:`\kappa`) from
    observed trajectories.

    ``data``: :class:`~modelcollapse.inference.data.Trajectories` or anything
    :func:`~modelcollapse.inference.data.load_trajectories` reads (a CSV path, a DataFrame, a
    mapping of columns). ``family``: None for that of ``data`` (gaussian-variance for a raw
    table), a registered name, a family file (``*.toml``, whose text the posterior keeps for
    :meth:`BiasPosterior.from_netcdf`) or a :class:`~modelcollapse.families.Family`; any
    family whose parameter is a location, scale or rate works: its law gives the likelihood
    (the normal approximation of its moment map when it declares no exact law;
    :attr:`BiasPosterior.exact` says which). ``priors``, ``noisy``, ``params``: see
    :func:`~modelcollapse.inference.model.build_model`; or pass a prebuilt ``model`` (then
    ``data`` must match it: use :func:`~modelcollapse.inference.model.set_data`).

    The ``InferenceData`` has ``posterior``, ``sample_stats``, ``observed_data``,
    ``constant_data`` and the pointwise ``log_likelihood`` (dim ``transition``: ``az.loo``,
    ``az.compare``); ``predictive=True`` adds ``posterior_predictive``.

    ``sampler``: ``"pymc"`` (the default, and what ``"auto"`` means: measured faster with
    compilation counted) or ``"nutpie"`` (slower to compile, much faster to sample: the
    choice for many fits in one process). The built model and its compiled sampler (PyMC's
    step or nutpie's model) are kept per process and family, priors and constants: a second
    fit on new data only swaps the data. ``seed`` makes the draws reproducible.
    ``progress``: the sampler's progress bar and PyMC's log lines (off unless True).
    ``cores``: processes running the chains (default: PyMC's choice, half the CPUs and at
    most 4; on two cores one, and the chains run in turn, which for models this small is
    faster than worker processes: 1.8 s against 2.1 s for a second 4 x 1000 fit).

    After sampling, one :class:`ConvergenceWarning` names every failed diagnostic (r-hat >
    1.01, bulk ESS < 400, divergences).
    """
    draws = integer("draws", draws, low=1)
    tune = integer("tune", tune, low=0)
    chains = integer("chains", chains, low=1)
    seed = integer("seed", seed, low=0)
    target_accept = probability("target_accept", target_accept)
    if cores is not None:
        cores = integer("cores", cores, low=1)
    chosen = _choose_sampler(sampler)
    priors = Priors() if priors is None else priors
    if not isinstance(priors, Priors):
        raise TypeError(f"priors must be a Priors, not {type(priors).__name__}")
    tr: Trajectories = _as_data(data, family)
    check_posterior(draws, chains, tr.n_transitions)  # the draws must fit in memory
    verbose = bool(progress)
    start = time.perf_counter()
    with _quiet(verbose):
        if model is None:
            model = _cached_model(tr, priors, noisy, params)
        # nutpie: a low-rank mass matrix is its answer to the correlation of b and alpha
        sample = _sample_pymc if chosen == "pymc" else _sample_nutpie
        idata = sample(model, tr, draws=draws, tune=tune, chains=chains, seed=seed,
                       cores=cores, target_accept=target_accept, progress=verbose)
        _add_log_likelihood(idata, model)
        if predictive:
            _add_posterior_predictive(idata, model, seed)
    spec = getattr(model, "_modelcollapse", {})
    posterior = BiasPosterior(idata=idata, family=tr.family, sampler=chosen,
                              seconds=time.perf_counter() - start, n_trajectories=len(tr),
                              n_transitions=tr.n_transitions, noisy=noisy,
                              n_min=float(model["n_min"].get_value()), priors=priors,
                              likelihood=spec.get("likelihood", ""),
                              exact=spec.get("exact", True),
                              likelihood_description=spec.get("description", ""),
                              data=tr, params=dict(params or {}),
                              family_file=getattr(tr.family_def, "source", ""))
    posterior._write_attrs()
    problems = posterior.problems()
    if problems:
        warnings.warn(f"the posterior may be unreliable: {'; '.join(problems)} "
                      f"(allowed: r-hat <= {RHAT_MAX}, bulk ESS >= {ESS_MIN}, no divergences); "
                      "run more draws or tune, or raise target_accept",
                      ConvergenceWarning, stacklevel=2)
    return posterior
