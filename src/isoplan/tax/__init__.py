"""Tax law only: per-year parameters (data, with citations) and vectorized computations.

This package knows nothing about stock options beyond "an AMT adjustment"
(Form 6251 lines 2i and 2k). Import from the modules: ``isoplan.tax.federal``
(``compute_federal``), ``isoplan.tax.households`` (``households``),
``isoplan.tax.law`` (``law_table``). This file stays empty so that the CLI can
read input names without loading NumPy.
"""
