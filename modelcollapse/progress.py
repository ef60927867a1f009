"""Progress bars that appear in a terminal and in a Jupyter notebook, and nowhere else.

``progress=None`` (the default of every long-running function) means: show a bar when
standard error is a terminal or the code runs in a Jupyter kernel (where standard error is a
pipe, so a terminal check alone would hide it). Bars come from ``tqdm.auto`` (a widget) when
ipywidgets is installed, else from plain ``tqdm`` (text, which notebooks show too), so a
notebook without ipywidgets gets no warning; they appear only after half a second, so quick
runs print nothing.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

__all__ = ["in_notebook", "progress_bar", "show_progress"]

#: seconds before a bar appears (quick runs stay silent)
DELAY = 0.5


def in_notebook() -> bool:
    """True inside a Jupyter (IPython) kernel.

    >>> in_notebook()  # doctests run outside a kernel
    False
    """
    ipython = sys.modules.get("IPython")  # never imported here: a kernel has already done so
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def show_progress(progress: bool | None) -> bool:
    """``progress`` when given, else whether a person is watching (a terminal or a notebook).

    >>> show_progress(True), show_progress(False)
    (True, False)
    """
    if progress is not None:
        return bool(progress)
    stream = sys.stderr
    return bool(stream is not None and stream.isatty()) or in_notebook()


def progress_bar(total: int, desc: str, unit: str = "it") -> Any:
    """A tqdm bar: a widget in a notebook with ipywidgets, text otherwise; call ``update(k)``
    and ``close()``.

    >>> bar = progress_bar(3, "demo", unit="gen")
    >>> _ = bar.update(3); bar.close()
    """
    if in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit=unit, leave=False, delay=DELAY)
