"""Generated households shared by the benchmarks (deterministic, broad: all statuses, gains, itemizers, ISOs)."""

from __future__ import annotations

import numpy as np


def generate_households(n: int, seed: int = 7, years: tuple[int, ...] = (2025, 2026)) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    dividends = np.where(rng.random(n) < 0.5, np.round(rng.uniform(0, 40_000, n)), 0.0)
    return {
        "year": rng.choice(np.asarray(years), size=n),
        "filing_status": rng.choice(np.arange(5), size=n, p=[0.35, 0.35, 0.1, 0.15, 0.05]),
        "wages": np.clip(np.round(rng.lognormal(np.log(220_000), 0.7, n)), 40_000, 2_500_000),
        "taxable_interest": np.where(rng.random(n) < 0.5, np.round(rng.uniform(0, 20_000, n)), 0.0),
        "ordinary_dividends": dividends,
        "qualified_dividends": np.round(dividends * rng.uniform(0, 1, n)),
        "short_term_gain": np.where(rng.random(n) < 0.3, np.round(rng.uniform(-20_000, 40_000, n)), 0.0),
        "long_term_gain": np.where(rng.random(n) < 0.5, np.round(rng.uniform(-15_000, 300_000, n)), 0.0),
        "other_ordinary_income": np.where(rng.random(n) < 0.2, np.round(rng.uniform(0, 100_000, n)), 0.0),
        "state_local_tax": np.where(rng.random(n) < 0.7, np.round(rng.uniform(0, 80_000, n)), 0.0),
        "mortgage_interest": np.where(rng.random(n) < 0.5, np.round(rng.uniform(0, 40_000, n)), 0.0),
        "charitable": np.where(rng.random(n) < 0.5, np.round(rng.uniform(0, 25_000, n)), 0.0),
        "other_itemized": np.where(rng.random(n) < 0.1, np.round(rng.uniform(0, 10_000, n)), 0.0),
        "iso_bargain_element": np.where(rng.random(n) < 0.75, np.round(rng.uniform(0, 900_000, n)), 0.0),
    }
