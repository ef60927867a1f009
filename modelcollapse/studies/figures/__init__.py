"""The reproduction figures F1-F9, one module each.

Each module has a ``make(run)`` step (simulate, check against theory, record numbers, write the
figure and its table into the :class:`~modelcollapse.studies.session.Session`) and, except F7
(drawn by :mod:`modelcollapse.studies.realdata.figure`), a ``plot_*`` function that draws the
figure from plain data; :mod:`~modelcollapse.studies.figures.style` holds what they share.
"""
