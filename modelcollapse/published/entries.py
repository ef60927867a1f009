r"""The published results of :mod:`modelcollapse.published`, in the guide's order.

Each ``_name`` function computes one entry through the library's public engines and, where the
paper states a formula or a bound of its own, evaluates that formula as printed. Paper
formulas use the paper's own letters; the mapping to our generations is in ``index_mapping``.

>>> [e.key for e in ENTRIES][:2]
['shumailov2024', 'bertrand2024']
"""

from __future__ import annotations

import math
from typing import Any

from scipy.special import gammaln

from modelcollapse import symbols
from modelcollapse.arguments import integer
from modelcollapse.families import Bias
from modelcollapse.published import PublishedResult
from modelcollapse.schedules import Schedule
from modelcollapse.theory import bernoulli_fixation_probabilities, derive
from modelcollapse.validation.improvement import family_improvement_probability

__all__ = ["ENTRIES", "XU_HE_CHENG"]

#: relative tolerance for "the library's value equals the paper's formula" (both in float64)
REL = 1e-9

XU_HE_CHENG = ("S. Xu, H. He, G. Cheng. A probabilistic perspective on model collapse. "
               "arXiv 2505.13947 (2025). Claims of the abstract, derived here.")
SURESH = ("A. T. Suresh, A. Thangaraj, A. N. K. Khandavally. Rate of model collapse in "
          "recursive training. AISTATS 2025, PMLR 258:1396-1404.")


def _sizes(schedule: Schedule, T: int | float, minimum: int = 1) -> list[int]:
    r""":math:`n_0, \dots, n_T`; the paper's formula needs a finite horizon."""
    if isinstance(T, float) and math.isinf(T):
        raise ValueError("T = inf: this entry's formula is a finite product or sum; "
                         "allowed: an integer >= 0")
    return [int(n) for n in schedule.sizes(integer("T", T, low=0), minimum=minimum)]


def _constant(sizes: list[int]) -> bool:
    return len(set(sizes)) == 1


def _constant_schedule(schedule: Schedule) -> bool:
    """n_t = n_0 for every t (the papers' setting)."""
    if schedule.sizes_given is not None:
        return _constant(list(schedule.sizes_given))
    return symbols.t not in schedule.expression.free_symbols and \
        schedule.size(1) == schedule.n0


def _close(a: float | None, b: float | None) -> bool | None:
    if a is None or b is None:
        return None
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-300)


def _shumailov(schedule: Schedule, T: int, *, sigma2: float) -> dict[str, Any]:
    # the finite horizon first: at T = inf derive would refuse the default schedule as
    # "a list of sizes", which the user never gave, and an expression fails here anyway
    sizes = _sizes(schedule, T)
    value = derive("gaussian-mean", schedule=schedule, T=T,
                   params={"sigma2": sigma2}).values["variance_T"]
    paper = sigma2 * math.fsum(1 / m for m in sizes)
    return {"value": value, "paper_value": paper, "holds": _close(value, paper)}


def _alpha(n: int) -> float:
    """Bertrand et al.'s :math:`\\alpha(n) = E\\sqrt{\\chi^2_{n-1}/(n-1)}` as printed."""
    return math.sqrt(2 / (n - 1)) * math.exp(gammaln(n / 2) - gammaln((n - 1) / 2))


def _bertrand(schedule: Schedule, T: int, *, sigma2: float) -> dict[str, Any]:
    value = derive("gaussian-variance", schedule=schedule, T=T, moment=0.5,
                   params={"sigma2": sigma2}).values["moment_T"]
    sizes = _sizes(schedule, T, 2)
    paper = math.sqrt(sigma2) * math.prod(_alpha(n) for n in sizes)
    extra = {"alpha(n_0)": _alpha(sizes[0])} if _constant(sizes) else {}
    return {"value": value, "paper_value": paper, "holds": _close(value, paper),
            "extra": extra}


def _seddik(schedule: Schedule, T: int, *, p: tuple[float, ...]) -> dict[str, Any]:
    d = derive("categorical", schedule=schedule, T=T, params={"p": tuple(p)})
    value = d.values["collapse_probability_T"]
    # E[1 - S_T], S = sum_k p_k^2, from the library's exact moments of every cell
    library = 1 - math.fsum(v + m * m for v, m in zip(d.values["variance_T"],
                                                        d.values["mean_T"], strict=True))
    sizes = _sizes(schedule, T)
    s0 = math.fsum(q * q for q in p)
    paper_s = 1 - math.prod(1 - 1 / n for n in sizes) * (1 - s0)  # S_m, m = T + 1
    n = sizes[-1]
    # Markov on 1 - S over the states that are not a Dirac mass: 1 - S >= 2(n-1)/n^2 there
    bound = 1 - (1 - paper_s) * n * n / (2 * (n - 1)) if n > 1 else 1.0
    holds = None if value is None else value >= bound - 1e-12
    return {"value": value, "paper_value": bound, "holds": holds,
            "extra": {"E[1 - S_T] (library)": library, "1 - S_m (paper, m = T + 1)":
                      1 - paper_s}}


def _forgetting_bound(sizes: list[int], rate: float) -> tuple[float | None, list[str]]:
    """Suresh et al.'s survival bound as a bound on forgetting: exp(-lambda_i / k)."""
    if not _constant(sizes):
        return None, ["the paper's bound assumes a constant size n; not evaluated"]
    return math.exp(-sizes[0] * rate / len(sizes)), []


def _suresh_bernoulli(schedule: Schedule, T: int, *, p: float) -> dict[str, Any]:
    sizes = _sizes(schedule, T)
    value = bernoulli_fixation_probabilities(p, sizes).at_zero
    bound, notes = _forgetting_bound(sizes, p)
    return {"value": value, "paper_value": bound,
            "holds": None if bound is None else value <= bound,
            "extra": {"survival P(p_T > 0)": 1 - value}, "notes": notes}


def _suresh_poisson(schedule: Schedule, T: int, *, lam: float) -> dict[str, Any]:
    value = derive("poisson", schedule=schedule, T=T,
                   params={"lam": lam}).values["collapse_probability_T"]
    bound, notes = _forgetting_bound(_sizes(schedule, T), lam)
    return {"value": value, "paper_value": bound,
            "holds": None if bound is None or value is None else value <= bound,
            "extra": {} if value is None else {"survival P(lam_T > 0)": 1 - value},
            "notes": notes}


def _suresh_gaussian(schedule: Schedule, T: int, *, sigma2: float,
                     estimator: str) -> dict[str, Any]:
    value = derive("gaussian-variance", schedule=schedule, T=T, moment=0.5,
                   estimator=estimator, params={"sigma2": sigma2}).values["moment_T"]
    sizes = _sizes(schedule, T, 2)
    # sigma_0 exp(-k/(4n)) with k = T + 1; for varying sizes k/n reads sum_t 1/n_t
    paper = math.sqrt(sigma2) * math.exp(-math.fsum(1 / (4 * n) for n in sizes))
    return {"value": value, "paper_value": paper,
            "holds": None if value is None else value <= paper}


def _accumulate(schedule: Schedule, T: int | float, *, sigma2: float) -> dict[str, Any]:
    value = derive("gaussian-mean", schedule=schedule, T=T, workflow="accumulate",
                   params={"sigma2": sigma2}).values["variance_T"]
    notes = []
    paper = None
    if _constant_schedule(schedule):
        paper = sigma2 / schedule.n0 * math.pi**2 / 6
    else:
        notes.append("the pi^2/6 bound is stated for a constant size n; not evaluated")
    holds = None if paper is None else value <= paper * (1 + REL)
    return {"value": value, "paper_value": paper, "holds": holds, "notes": notes}


def _regression(schedule: Schedule, T: int | float, *, dim: int,
                sigma2: float) -> dict[str, Any]:
    def error(workflow: str) -> float:
        return derive("linear-regression", schedule=schedule, T=T, dim=dim, workflow=workflow,
                      params={"sigma2": sigma2}).values["squared_error_T"]

    value = error("accumulate")
    notes, paper, extra = [], None, {}
    if _constant_schedule(schedule):
        n = schedule.n0
        paper = sigma2 * dim / (n - dim - 1) * math.pi**2 / 6
        if not math.isinf(T):  # replace: sigma^2 d t/(n - d - 1), linear in t = T + 1
            extra = {"replace squared_error_T": error("replace"),
                     "replace (paper)": sigma2 * dim * (T + 1) / (n - dim - 1)}
    else:
        notes.append("the pi^2/6 bound is stated for a constant size n; not evaluated")
    holds = None if paper is None else value <= paper * (1 + REL)
    return {"value": value, "paper_value": paper, "holds": holds, "extra": extra,
            "notes": notes}


def _he_xu_cheng(schedule: Schedule, T: int | float, *, real_ratio: float) -> dict[str, Any]:
    d = derive("gaussian-mean", schedule=schedule, T=T, workflow="mix",
               real_ratio=real_ratio, real_weight="optimal")
    value = d.values["optimal_real_weight"]
    k = real_ratio
    # the paper's (sqrt(K(K + 4)) - K)/2, rewritten without its cancellation (six digits
    # lost at K = 1e8) and without K(K + 4) (inf beyond K ~ 1e154); 2/(sqrt(1 + 4/K) + 1)
    # times sqrt(K)/sqrt(K), so that 4/K cannot overflow either for a tiny K
    paper = 2 * math.sqrt(k) / (math.sqrt(k) + math.sqrt(k + 4))
    return {"value": value, "paper_value": paper, "holds": _close(value, paper),
            "extra": {"variance_T at w*": d.values["variance_T"]}}


def _superlinear(schedule: Schedule, T: int | float, *, sigma2: float) -> dict[str, Any]:
    d = derive("gaussian-variance", schedule=schedule, T=T, params={"sigma2": sigma2})
    collapses = d.values["collapses"]
    # the claim is about superlinear schedules: another schedule collapsing does not refute it
    notes = [] if collapses is False else [
        f"this schedule collapses (collapses = {collapses}); the claim concerns superlinear "
        "growth"]
    return {"value": d.values["log_mean_T"], "holds": True if collapses is False else None,
            "extra": {"collapses": collapses}, "notes": notes}


def _bias_exponent(schedule: Schedule, T: int | float, *, kappa: float,
                   alpha: float) -> dict[str, Any]:
    d = derive("gaussian-variance", schedule=schedule, T=T, bias=Bias(kappa, alpha))
    value = d.values["required_growth_exponent"]
    paper = max(1.0, 1 / alpha) if kappa > 0 else 1.0
    return {"value": value, "paper_value": paper, "holds": _close(value, paper),
            "extra": {"collapses": d.values["collapses"]}}


def _improvement(schedule: Schedule, T: int | float, *, dim: int) -> dict[str, Any]:
    res = family_improvement_probability("gaussian-mean", schedule=schedule, T=T, dim=dim)
    return {"value": res.probability, "paper_value": 0.5, "holds": res.probability < 0.5,
            "extra": {"method": res.method, "r": res.r}}


ENTRIES: tuple[PublishedResult, ...] = (
    PublishedResult(
        key="shumailov2024",
        title="Shumailov et al. 2024: Gaussian mean with explicit sizes",
        citation="I. Shumailov, Z. Shumaylov, Y. Zhao, N. Papernot, R. Anderson, Y. Gal. "
                 "AI models collapse when trained on recursively generated data. "
                 "Nature 631, 755-759 (2024).",
        paper_formula=r"\mathrm{Var}(\mu_{n+1}) = \sigma^2\Bigl(\frac{1}{M_0} + \frac{1}{M_1}"
                      r" + \cdots + \frac{1}{M_n}\Bigr)",
        index_mapping="The paper fits mu_{i+1} on the M_i samples of generation i (mu_1 on "
                      "the M_0 real samples): mu_{n+1} is our mu_T with T = n and n_t = M_t.",
        quantity="variance_T", json_key="variance_T", relation="=",
        python_call='derive("gaussian-mean", schedule=Schedule.from_sizes([100, 200, 400]), '
                    'T=2).values["variance_T"]',
        cli='modelcollapse derive gaussian-mean --schedule "100,200,400" --T 2',
        defaults={"n0": 100, "schedule": "100,200,400", "T": 2, "sigma2": 1.0},
        compute=_shumailov),
    PublishedResult(
        key="bertrand2024",
        title="Bertrand et al. 2024: the fitted standard deviation shrinks like alpha(n)^t",
        citation="Q. Bertrand, A. J. Bose, A. Duplessis, M. Jiralerspong, G. Gidel. On the "
                 "stability of iterative retraining of generative models on their own data. "
                 "ICLR 2024.",
        paper_formula=r"\mathbb{E}\,\hat\sigma_t = \alpha(n)^t\,\sigma,\qquad \alpha(n) = "
                      r"\mathbb{E}\sqrt{\chi^2_{n-1}/(n-1)} = \sqrt{\tfrac{2}{n-1}}\,"
                      r"\frac{\Gamma(n/2)}{\Gamma((n-1)/2)}",
        index_mapping="t counts the fits, the one on the real data first: our T = t - 1, so "
                      "E sigma_T = alpha(n)^(T+1) sigma; for any schedule the product of "
                      "alpha(n_t) over t = 0..T (moment r = 1/2 of sigma2_T).",
        quantity="moment_T", json_key="moment_T", relation="=",
        python_call='derive("gaussian-variance", schedule=Schedule("n0", n0=10), T=4, '
                    'moment=0.5).values["moment_T"]',
        cli="modelcollapse derive gaussian-variance --n0 10 --T 4 --moment 0.5",
        defaults={"n0": 10, "schedule": "n0", "T": 4, "sigma2": 1.0},
        compute=_bertrand),
    PublishedResult(
        key="seddik2024",
        title="Seddik et al. 2024 / Wright-Fisher: total collapse to a Dirac mass",
        citation="M. E. A. Seddik, S.-W. Chen, S. Hayou, P. Youssef, M. Debbah. How bad is "
                 "training on synthetic data? A statistical analysis of language model "
                 "collapse. COLM 2024 (arXiv 2404.05090).",
        paper_formula=r"S_m = 1 - \Bigl(1 - \frac{1}{n}\Bigr)^m (1 - S_0),\quad S = \sum_k "
                      r"p_k^2;\qquad \Pr\bigl(p^{(m)}\ \text{not a Dirac}\bigr) \le "
                      r"\frac{n^2}{2(n-1)}\,(1 - S_m)",
        index_mapping="m resamplings of n tokens starting from the true p (S_0): our "
                      "generation 0 is the first, so m = T + 1; for varying sizes "
                      "(1 - 1/n)^m is the product of (1 - 1/n_t) over t = 0..T. The bound "
                      "is Markov's inequality on S_m (1 - S >= 2(n-1)/n^2 off the Dirac "
                      "masses), our reading of the paper's formula.",
        quantity="collapse_probability_T", json_key="collapse_probability_T", relation=">=",
        python_call='derive("categorical", schedule=Schedule("n0", n0=20), T=49, '
                    'params={"p": (0.2, 0.3, 0.5)}).values["collapse_probability_T"]',
        cli="modelcollapse derive categorical --n0 20 --T 49 --param p=0.2,0.3,0.5",
        defaults={"n0": 20, "schedule": "n0", "T": 49, "p": (0.2, 0.3, 0.5)},
        compute=_seddik),
    PublishedResult(
        key="suresh2025-bernoulli",
        title="Suresh et al. 2025: forgetting a symbol (Bernoulli)",
        citation=SURESH,
        paper_formula=r"\Pr(\Theta_{k,i} \neq 0) \ge 1 - e^{-\lambda_i/k},\qquad "
                      r"\lambda_i = n\,p_i",
        index_mapping="Theta_k is the k-th fit, Theta_1 on the real data: k = T + 1; "
                      "lambda_i = n p is the symbol's expected count in the real data. "
                      "Equivalently P(p_T = 0) <= exp(-n p/(T + 1)); constant n only.",
        quantity="P(p_T = 0)", json_key="value", relation="<=",
        python_call='bernoulli_fixation_probabilities(0.05, Schedule("n0", n0=100)'
                    '.sizes(99)).at_zero',
        cli="modelcollapse published suresh2025-bernoulli --n0 100 --T 99 --param p=0.05",
        defaults={"n0": 100, "schedule": "n0", "T": 99, "p": 0.05},
        compute=_suresh_bernoulli),
    PublishedResult(
        key="suresh2025-poisson",
        title="Suresh et al. 2025: extinction of a Poisson count",
        citation=SURESH,
        paper_formula=r"\Pr(\Theta_k \neq 0) \ge 1 - e^{-\lambda/k}",
        index_mapping="k = T + 1 fits, the real-data fit first; lambda is the expected count "
                      "n lam of the real data: P(lam_T = 0) <= exp(-n lam/(T + 1)); constant "
                      "n only (the exact value holds for any schedule).",
        quantity="collapse_probability_T", json_key="collapse_probability_T", relation="<=",
        python_call='derive("poisson", schedule=Schedule("n0", n0=100), T=99, '
                    'params={"lam": 0.05}).values["collapse_probability_T"]',
        cli="modelcollapse derive poisson --n0 100 --T 99 --param lam=0.05",
        defaults={"n0": 100, "schedule": "n0", "T": 99, "lam": 0.05},
        compute=_suresh_poisson),
    PublishedResult(
        key="suresh2025-gaussian",
        title="Suresh et al. 2025: the Gaussian scale vanishes after about n generations",
        citation=SURESH,
        paper_formula=r"\Pr(\Sigma_k > \varepsilon) \le \frac{\sigma_0}{\varepsilon}\,"
                      r"e^{-k/(4n)}",
        index_mapping="k = T + 1 fits; Sigma_k is the fitted standard deviation. By Markov, "
                      "P(sigma_T > eps) <= E sigma_T / eps, so the bound's content is "
                      "E sigma_T <= sigma exp(-(T+1)/(4n)); for varying sizes (T+1)/n reads "
                      "sum_t 1/n_t.",
        quantity="moment_T", json_key="moment_T", relation="<=",
        python_call='derive("gaussian-variance", schedule=Schedule("n0", n0=100), T=399, '
                    'moment=0.5).values["moment_T"]',
        cli="modelcollapse derive gaussian-variance --n0 100 --T 399 --moment 0.5",
        defaults={"n0": 100, "schedule": "n0", "T": 399, "sigma2": 1.0,
                  "estimator": "unbiased"},
        compute=_suresh_gaussian),
    PublishedResult(
        key="dey-donoho2024",
        title="Dey & Donoho 2024, Gerstgrasser et al. 2024: accumulating data, the pi^2/6 "
              "bound",
        citation="A. Dey, D. Donoho. Universality of the pi^2/6 pathway in avoiding model "
                 "collapse. arXiv 2410.22812 (2024). M. Gerstgrasser, R. Schaeffer, A. Dey, "
                 "R. Rafailov, et al. Is model collapse inevitable? Breaking the curse of "
                 "recursion by accumulating real and synthetic data. arXiv 2404.01413 (2024).",
        paper_formula=r"\mathrm{Var}(\hat\mu_t) = \frac{\sigma^2}{n}\sum_{k=1}^{t}"
                      r"\frac{1}{k^2} \;\le\; \frac{\sigma^2}{n}\,\frac{\pi^2}{6}",
        index_mapping="t fits on k n pooled points (k = 1: the real data alone): our "
                      "T = t - 1 and T = inf gives the limit; for any schedule "
                      "sigma^2 (1/n_0 + sum_t n_t/N_t^2), N_t = n_0 + ... + n_t.",
        quantity="variance_T", json_key="variance_T", relation="<=",
        python_call='derive("gaussian-mean", T=math.inf, workflow="accumulate")'
                    '.values["variance_T"]',
        cli="modelcollapse derive gaussian-mean --workflow accumulate --T inf",
        defaults={"n0": 100, "schedule": "n0", "T": math.inf, "sigma2": 1.0},
        compute=_accumulate),
    PublishedResult(
        key="gerstgrasser2024-regression",
        title="Gerstgrasser et al. 2024: linear regression, replace grows, accumulate stays "
              "bounded",
        citation="M. Gerstgrasser, R. Schaeffer, A. Dey, R. Rafailov, et al. Is model "
                 "collapse inevitable? Breaking the curse of recursion by accumulating real "
                 "and synthetic data. arXiv 2404.01413 (2024); the replace case after "
                 "E. Dohmatob, Y. Feng, J. Kempe, Model collapse demystified: the case of "
                 "regression, NeurIPS 2024.",
        paper_formula=r"\text{replace: } \mathbb{E}\|\hat w_t - w^*\|^2 = "
                      r"\frac{\sigma^2 d\, t}{n - d - 1},\qquad \text{accumulate: } "
                      r"\mathbb{E}\|\hat w_t - w^*\|^2 \le \frac{\sigma^2 d}{n - d - 1}"
                      r"\,\frac{\pi^2}{6}",
        index_mapping="t fits on n fresh inputs each, the first on real labels: our "
                      "T = t - 1, so replace gives sigma^2 d (T+1)/(n-d-1); accumulate at "
                      "T = inf is the limit. x ~ N(0, I_d), sigma^2 known, n_t > d + 1.",
        quantity="squared_error_T", json_key="squared_error_T", relation="<=",
        python_call='derive("linear-regression", dim=5, schedule=Schedule("n0", n0=50), '
                    'T=math.inf, workflow="accumulate").values["squared_error_T"]',
        cli="modelcollapse derive linear-regression --dim 5 --n0 50 --workflow accumulate "
            "--T inf",
        defaults={"n0": 50, "schedule": "n0", "T": math.inf, "dim": 5, "sigma2": 1.0},
        compute=_regression),
    PublishedResult(
        key="he-xu-cheng2025",
        title="He, Xu & Cheng 2025: the golden-ratio weight of fresh real data",
        citation="H. He, S. Xu, G. Cheng. Recursive learning without collapse: a "
                 "weighting-based stabilization framework. J. R. Stat. Soc. B (2026); "
                 "arXiv 2502.18049, first as 'Golden ratio weighting prevents model "
                 "collapse' (2025).",
        paper_formula=r"w^* = \frac{\sqrt{K(K+4)} - K}{2},\qquad w^*\big|_{K=1} = "
                      r"\frac{\sqrt5 - 1}{2} = \frac{1}{\varphi} \approx 0.618",
        index_mapping="An asymptotic (t -> inf) result: our T = inf. K fresh real points per "
                      "synthetic point, w the weight of the real-data fit.",
        quantity="optimal_real_weight", json_key="optimal_real_weight", relation="=",
        python_call='derive("gaussian-mean", T=math.inf, workflow="mix", real_ratio=1, '
                    'real_weight="optimal").values["optimal_real_weight"]',
        cli="modelcollapse derive gaussian-mean --workflow mix --real-ratio 1 "
            "--real-weight optimal --T inf",
        defaults={"n0": 100, "schedule": "n0", "T": math.inf, "real_ratio": 1.0},
        compute=_he_xu_cheng),
    PublishedResult(
        key="seed-superlinear",
        title="Xu, He & Cheng 2025 (claim 3): superlinear growth avoids collapse",
        citation=XU_HE_CHENG,
        paper_formula=r"n_t \asymp t^{1+s},\ s > 0 \;\Rightarrow\; \sum_t \frac{1}{n_t} < "
                      r"\infty:\ \mathbb{E}\log\frac{\hat\sigma^2_\infty}{\sigma^2} > -\infty",
        index_mapping="Our own indexing (generation 0 the real-data fit); value is "
                      "E log(sigma2_T / sigma2), finite at T = inf iff there is no collapse.",
        quantity="log_mean_T", json_key="log_mean_T", relation="claim",
        python_call='derive("gaussian-variance", schedule=Schedule("n0*t**1.5", n0=100), '
                    'T=math.inf).values["log_mean_T"]',
        cli='modelcollapse derive gaussian-variance --schedule "n0*t**1.5" --T inf',
        defaults={"n0": 100, "schedule": "n0*t**1.5", "T": math.inf, "sigma2": 1.0},
        compute=_superlinear),
    PublishedResult(
        key="seed-bias",
        title="Xu, He & Cheng 2025 (claim 3): with bias the growth must be faster still",
        citation=XU_HE_CHENG,
        paper_formula=r"\mathbb{E}[\hat\theta\mid\theta] = \theta(1 - \kappa n^{-\alpha})"
                      r"\;\Rightarrow\; p^* = \max(1, 1/\alpha)",
        index_mapping="Our own indexing; p* is the growth exponent n_t ~ t^p above which "
                      "the scale does not collapse.",
        quantity="required_growth_exponent", json_key="required_growth_exponent",
        relation="=",
        python_call='derive("gaussian-variance", schedule=Schedule("n0*t**1.5", n0=100), '
                    'T=100, bias=Bias(1.0, 0.5)).values["required_growth_exponent"]',
        cli='modelcollapse derive gaussian-variance --schedule "n0*t**1.5" --T 100 '
            '--bias-kappa 1 --bias-exponent 0.5',
        defaults={"n0": 100, "schedule": "n0*t**1.5", "T": 100, "kappa": 1.0, "alpha": 0.5},
        compute=_bias_exponent),
    PublishedResult(
        key="seed-improvement",
        title="Xu, He & Cheng 2025 (claim 4): recursive training beats real data with "
              "probability below 1/2",
        citation=XU_HE_CHENG,
        paper_formula=r"P(T) = \Pr\bigl(|\hat\theta_T - \theta^*| < |\hat\theta_0 - "
                      r"\theta^*|\bigr) = \frac{1}{\pi}\arctan\frac{2}{\sqrt{n_0 S_T}} < "
                      r"\frac12",
        index_mapping="Our own indexing: theta_0 is the real-data fit, "
                      "S_T = sum_{t=1..T} 1/n_t.",
        quantity="probability", json_key="probability", relation="<",
        python_call='family_improvement_probability("gaussian-mean", '
                    'schedule=Schedule("n0*t**2", n0=100), T=100).probability',
        cli='modelcollapse improve --n0 100 --schedule "n0*t**2" --T 100',
        defaults={"n0": 100, "schedule": "n0*t**2", "T": 100, "dim": 1},
        compute=_improvement),
)

