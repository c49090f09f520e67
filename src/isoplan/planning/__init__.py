"""Strategy on top of the tax engine: the AMT room, the cost of an exercise, and (later) staging plans.

Modules import NumPy; the CLI imports them inside its command functions.

* :mod:`isoplan.planning.room`: the AMT-free room (Form 6251) and the minimum tax credit line (Form 8801).
* :mod:`isoplan.planning.cost`: what an exercise costs, the stress test and the same-year rescue.
"""
