"""Every federal line of this tree against another tree's, bit for bit, on the engine benchmark's households.

    .venv/bin/python benchmarks/check_engine_bits.py --against /path/to/other/src [--rows N]

Runs :func:`isoplan.tax.federal.compute_federal` (every line) for every
deduction election on two sets of households: ``bench_engine.py``'s (the
benchmark's mixed households) and a broad set that also fills the inputs the
benchmark leaves at zero (carryovers on both bases, AMT-basis gains, NSO
income, the minimum tax credit, seniors, every supported year). It runs once
with this tree and once in a separate process importing the other tree
(``PYTHONPATH`` set to ``--against``), saves every line as ``.npy`` and
compares them bit for bit (by their bytes, so 0.0 and -0.0 differ). Exits 1
when any line differs. ``--cache DIR`` keeps the other tree's lines in DIR
and reuses them when they are there (for checking one tree again and again).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def broad_households(n: int, seed: int = 11) -> dict[str, np.ndarray]:
    """The benchmark's kind of households over every supported year, with every other input filled too."""
    sys.path.insert(0, str(HERE))
    from common import generate_households
    from isoplan.tax.law import STATUS_CODE, supported_years

    years = supported_years()
    columns = generate_households(n, seed=seed, years=tuple(years))
    rng = np.random.default_rng(seed + 1)

    def some(share: float, low: float, high: float) -> np.ndarray:
        return np.where(rng.random(n) < share, np.round(rng.uniform(low, high, n)), 0.0)

    # wages from near zero, so the Tax Table, the 0% capital-gain band and the deduction floors are reached
    columns["wages"] = np.where(rng.random(n) < 0.3, np.round(rng.uniform(0, 120_000, n)), columns["wages"])
    columns["nso_income"] = some(0.2, 0, 400_000)
    columns["short_term_loss_carryover"] = some(0.15, 0, 60_000)
    columns["long_term_loss_carryover"] = some(0.15, 0, 60_000)
    amt_gain = rng.random(n) < 0.3
    columns["amt_short_term_gain"] = np.where(amt_gain, columns["short_term_gain"] + some(1.0, -10_000, 50_000),
                                              columns["short_term_gain"])
    columns["amt_long_term_gain"] = np.where(amt_gain, columns["long_term_gain"] + some(1.0, -10_000, 200_000),
                                             columns["long_term_gain"])
    columns["amt_short_term_loss_carryover"] = np.where(amt_gain, some(1.0, 0, 40_000),
                                                        columns["short_term_loss_carryover"])
    columns["amt_long_term_loss_carryover"] = np.where(amt_gain, some(1.0, 0, 40_000),
                                                       columns["long_term_loss_carryover"])
    columns["other_amt_adjustments"] = some(0.2, -50_000, 100_000)
    columns["amt_credit_carryforward"] = some(0.3, 0, 150_000)
    # counts up to the most a status allows (two people when married filing jointly)
    people = np.where(columns["filing_status"] == STATUS_CODE["mfj"], 2, 1)
    columns["age_65_or_blind"] = np.where(rng.random(n) < 0.15, rng.integers(1, 3, n) * people, 0).astype(float)
    columns["senior_count"] = np.where(rng.random(n) < 0.15, rng.integers(1, 3, n) % (people + 1), 0).astype(float)
    return columns


def save_lines(out: Path, rows: int) -> None:
    """Every line of both household sets, per election, into ``out``."""
    sys.path.insert(0, str(HERE))
    import isoplan
    from common import DEDUCTIONS, generate_households
    from isoplan.tax.federal import compute_federal
    from isoplan.tax.households import households
    from isoplan.tax.law import law_table

    print(f"lines of {Path(isoplan.__file__).parent}")
    law = law_table(None)
    for name, columns in (("bench", generate_households(rows)), ("broad", broad_households(rows))):
        h = households(**columns)
        for deduction in DEDUCTIONS:
            result = compute_federal(h, law, deduction=deduction)  # type: ignore[arg-type]
            for key, values in result.lines.items():
                np.save(out / f"{name}_{deduction}_{key}.npy", values)
            np.save(out / f"{name}_{deduction}_projected.npy", result.projected)
            del result


def main() -> None:
    sys.path.insert(0, str(HERE))
    from common import bits_against_tree

    bits_against_tree(__doc__ or "", __file__, save_lines, "households in each of two sets")


if __name__ == "__main__":
    main()
