r"""``modelcollapse reproduce``: every figure, table and headline number of the study.

:func:`run_reproduce` writes into one folder, for each figure ``F1``-``F9`` a PNG and a PDF
(theory as lines, simulation as points with error bars or bands), its tables as CSV and LaTeX
(``table_*.csv``, ``table_*.tex``), ``macros.tex`` (one ``\newcommand`` per headline number)
and ``results.json`` (every number, every theory-versus-Monte-Carlo check, the list of files).

========  ===================================================================================
F1        collapse dichotomy: median and 5-95 % band of :math:`\hat\sigma^2_t`
F2        improvement probability :math:`P(T)`, closed form against Monte Carlo
F3        phase diagram over bias exponent :math:`\alpha` and growth exponent :math:`p`
F4        compute against utility, the data-expansion guideline
F5        Bernoulli fixation and Poisson extinction, exact against Monte Carlo
F6        replace against accumulate for the Gaussian mean, the :math:`\pi^2/6` limit
F7        the real-data study (scikit-learn's tables: the ``data`` extra)
F8        posterior probability of collapse per schedule (PyMC: the ``inference`` extra)
F9        the published results, theory against Monte Carlo (:mod:`modelcollapse.published`)
========  ===================================================================================

Each figure is one module of :mod:`modelcollapse.studies.figures` whose ``make`` step
simulates, checks against theory and writes the figure and its table; :data:`STEPS` lists them
in order.

``quick=True`` uses fewer replications and shorter horizons (about a minute on two cores);
the full run takes a few minutes. Results depend on ``seed`` only.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from modelcollapse import __version__
from modelcollapse.arguments import integer
from modelcollapse.extras import require
from modelcollapse.jsonable import jsonable, null_reasons
from modelcollapse.outputs import atomic_folder, check_input, check_output, raise_if_interrupted
from modelcollapse.progress import show_progress
from modelcollapse.studies.figures import (
    f1_dichotomy,
    f2_improvement,
    f3_phase_diagram,
    f4_guideline,
    f5_absorption,
    f6_accumulate,
    f7_realdata,
    f8_posterior,
    f9_published,
)
from modelcollapse.studies.figures.f2_improvement import REFERENCE_IMPROVEMENT
from modelcollapse.studies.figures.f8_posterior import CANDIDATES
from modelcollapse.studies.output import macros_text
from modelcollapse.studies.session import FULL, QUICK, Z_TOL, Session, Settings

__all__ = ["run_reproduce", "Settings", "QUICK", "FULL", "REFERENCE_IMPROVEMENT", "Z_TOL",
           "CANDIDATES", "STEPS"]

#: the figures in order: (key, label, step)
STEPS: tuple[tuple[str, str, Callable[[Session], None]], ...] = (
    ("F1", "collapse dichotomy", f1_dichotomy.make),
    ("F2", "improvement probability", f2_improvement.make),
    ("F3", "phase diagram", f3_phase_diagram.make),
    ("F4", "compute against utility", f4_guideline.make),
    ("F5", "absorption", f5_absorption.make),
    ("F6", "replace against accumulate", f6_accumulate.make),
    ("F7", "real-data study", f7_realdata.make),
    ("F8", "posterior probability of collapse", f8_posterior.make),
    ("F9", "published results", f9_published.make))


def run_reproduce(out: str | os.PathLike, *, quick: bool, seed: int = 0,
                  progress: bool | None = None, overwrite: bool = False,
                  data: str | os.PathLike | None = None, target: str | None = None,
                  name: str = "out") -> dict[str, Any]:
    """Write every figure, table, ``macros.tex`` and ``results.json`` into ``out``.

    The folder is built beside ``out`` and moved into place complete
    (:func:`modelcollapse.outputs.atomic_folder`): an interrupted or failed run leaves no
    trace, a concurrent run into the same folder is refused, and an existing non-empty
    ``out`` is replaced as a whole only with ``overwrite=True`` and only when it is the
    output of an earlier run (it has ``results.json``), never mixed with the new files.

    Parameters
    ----------
    out : str or path
        Output folder; missing parent folders are created.
    quick : bool
        Fewer replications and shorter horizons (:data:`QUICK` instead of :data:`FULL`).
    seed : int, optional
        Base seed; every simulation gets its own stream from it. Default 0.
    progress : bool, optional
        One line per figure on stderr; default: when stderr is a terminal.
    overwrite : bool, optional
        Replace an existing output folder of an earlier run. Default False.
    data, target : str, optional
        Also run the real-data study (F7) on the CSV table ``data`` with response column
        ``target`` (both or neither).
    name : str, optional
        How messages call ``out`` (``"--out"`` on the command line).

    Returns
    -------
    dict
        The content of ``results.json``: ``files`` (every path written, ``results.json``
        last), ``figures`` (numbers per figure), ``checks`` (theory against Monte Carlo with
        z-scores), ``macros``, ``notes``, ``quick``, ``seed``, ``settings``, ``version``,
        ``nulls``; and ``seconds``, the run time, which the file leaves out so that it is
        the same bytes for the same seed and folder.

    Raises
    ------
    ValueError
        When ``out`` cannot be created or written, exists (without ``overwrite``), is being
        written by another run, or ``seed`` is negative; when ``data`` is not a regular file.
    modelcollapse.extras.MissingExtraError
        When the ``data`` or the ``inference`` extra is not installed (before any file is
        written).
    TypeError
        When ``seed`` is not an integer.
    """
    seed = integer("seed", seed, low=0)
    # F7 reads scikit-learn's bundled tables, F8 fits with PyMC: fail before writing anything
    require("reproduce", "data", "inference")
    if (data is None) != (target is None):
        raise ValueError("data and target must be given together")
    if data is not None:
        check_input(data, name="--data" if name.startswith("--") else "data")
        from modelcollapse.studies.realdata.tables import load_table

        load_table(data=os.fspath(data), target=target)  # its content too, before the work
    final = _output_folder(out, name, overwrite)
    with atomic_folder(final, overwrite=overwrite, name=name) as folder:
        results = _run(folder, final, quick=quick, seed=seed, progress=progress, data=data,
                       target=target)
    return results


def _run(folder: Path, final: Path, *, quick: bool, seed: int, progress: bool | None,
         data: Any, target: str | None) -> dict[str, Any]:
    """The run, written into ``folder`` (temporary) with every path named as in ``final``."""
    settings = QUICK if quick else FULL
    show = show_progress(progress)  # a terminal or a notebook
    run = Session(folder, settings, int(seed), show)
    start = time.perf_counter()
    for i, (key, label, step) in enumerate(STEPS, 1):
        t0 = time.perf_counter()
        run.log(f"[{i}/{len(STEPS)}] {key} {label} ...")
        step(run)
        raise_if_interrupted()  # PyMC, for one, catches a Ctrl-C and carries on
        run.log(f"[{i}/{len(STEPS)}] {key} done in {time.perf_counter() - t0:.1f} s")
    if data is not None:
        from modelcollapse.studies.realdata import figure_realdata

        extra = figure_realdata(folder, quick=quick, seed=seed, data=data, target=target,
                                overwrite=True)  # F7 again, with the user's table
        run.files += [f for f in extra if f not in run.files]
    macros_path = folder / "macros.tex"
    macros_path.write_text(macros_text(run.macros, quick=quick, seed=int(seed)))
    run.files.append(str(macros_path))
    results_path = folder / "results.json"
    run.files.append(str(results_path))
    results = {"version": __version__, "files": run.files, "quick": bool(quick),
               "seed": int(seed), "settings": asdict(settings), "figures": run.figures,
               "checks": run.checks, "checks_passed": all(c["passed"] for c in run.checks),
               "macros": run.macros, "notes": run.notes}
    results["nulls"] = null_reasons(results)  # where JSON gets null for NaN or inf, and why
    results = _relocate(jsonable(results), str(folder), str(final))
    # no run time in the file: the same seed into the same folder gives the same bytes
    results_path.write_text(json.dumps(results, indent=1, allow_nan=False) + "\n")
    results["seconds"] = time.perf_counter() - start
    run.log(f"wrote {len(run.files)} files into {final} in {results['seconds']:.1f} s")
    return results


def _relocate(value: Any, old: str, new: str) -> Any:
    """``value`` with every path in the temporary folder ``old`` named in ``new``."""
    if isinstance(value, str):
        return new + value[len(old):] if value == old or value.startswith(old + os.sep) \
            else value
    if isinstance(value, dict):
        return {k: _relocate(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_relocate(v, old, new) for v in value]
    return value


def _output_folder(out: Any, name: str, overwrite: bool) -> Path:
    """The absolute output folder, checked before any work; its parents are created."""
    if not isinstance(out, str | os.PathLike):
        raise TypeError(f"{name} must be a folder path, got {out!r}")
    if not os.fspath(out).strip():
        raise ValueError(f"{name} must be a non-empty path, got {os.fspath(out)!r}")
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create the output folder {str(path)!r}: "
                         f"{exc.strerror or exc}") from None
    path = check_output(path.resolve(), name=name, overwrite=overwrite, folder=True)
    if overwrite and path.is_dir() and any(path.iterdir()) \
            and not (path / "results.json").is_file():
        raise ValueError(f"{name} {str(path)!r} is not the output of an earlier run (no "
                         "results.json); choose a new folder; only those are replaced")
    return path
