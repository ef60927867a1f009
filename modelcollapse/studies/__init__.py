"""The studies built on the theory, the Monte Carlo engine and the inference: the reproduction
of every figure, table and headline number (:mod:`~modelcollapse.studies.reproduce`, one module
per figure in :mod:`~modelcollapse.studies.figures`) and the real-data study
(:mod:`~modelcollapse.studies.realdata`).

Nothing below this layer imports it; only the command line (:mod:`modelcollapse.cli`) does.
"""
