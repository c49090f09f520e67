"""The planning loops' compiler: numba, loaded once per process, the machine code cached on disk."""

from __future__ import annotations

import functools
from collections.abc import Callable


@functools.cache
def compiled_loop(loop: Callable[..., None]) -> Callable[..., None]:
    """A planning loop (the label test's :func:`isoplan.planning.labels._ranges_loop`, the relaxation's bound, the
    moves' bound, the distinct rows' groups) compiled by numba, once per process (a heavy import: the engine's
    batches load it already); the machine code is cached on disk like the engine's (:mod:`isoplan.tax.compiled`)."""
    from isoplan.tax.compiled import cached_jit

    compiled: Callable[..., None] = cached_jit(loop, error_model="numpy")
    return compiled
