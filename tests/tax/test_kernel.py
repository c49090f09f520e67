"""The engine's one implementation of the law, run two ways: interpreted (a few households) and compiled.

The compiled loop (numba) must give the interpreted kernel's numbers bit for bit, on every line, for
households of every year and filing status mixed in one batch; one household must never import numba.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from isoplan.tax import compiled, kernel
from isoplan.tax.federal import Deduction, compute_federal
from isoplan.tax.households import households
from isoplan.tax.law import STATUSES, law_table, supported_years


def mixed_households(n: int, seed: int = 5) -> dict[str, np.ndarray]:
    """Every year and status; losses and carryovers, AMT, NSO, credits, seniors, small incomes in the Tax Table."""
    rng = np.random.default_rng(seed)
    years = supported_years()

    def some(p: float, lo: float, hi: float) -> np.ndarray:
        return np.where(rng.random(n) < p, np.round(rng.uniform(lo, hi, n), 2), 0.0)

    status = rng.integers(0, len(STATUSES), n)
    per_filer = np.where(status == STATUSES.index("mfj"), 2, 1)
    dividends = some(0.5, 0, 60_000)
    short_term, long_term = some(0.4, -60_000, 80_000), some(0.5, -60_000, 600_000)
    return dict(
        year=rng.integers(years.start, years.stop, n), filing_status=status,
        wages=np.where(rng.random(n) < 0.2, np.round(rng.uniform(0, 120_000, n)),
                       np.round(rng.lognormal(np.log(150_000), 1.0, n), 2)),
        taxable_interest=some(0.5, 0, 30_000), ordinary_dividends=dividends,
        qualified_dividends=np.round(dividends * rng.uniform(0, 1, n), 2),
        short_term_gain=short_term, long_term_gain=long_term,
        short_term_loss_carryover=some(0.2, 0, 50_000), long_term_loss_carryover=some(0.2, 0, 80_000),
        nso_income=some(0.2, 0, 500_000), other_ordinary_income=some(0.2, 0, 100_000),
        state_local_tax=some(0.7, 0, 90_000), mortgage_interest=some(0.5, 0, 50_000),
        charitable=some(0.5, 0, 60_000), other_itemized=some(0.15, 0, 30_000),
        iso_bargain_element=some(0.6, 0, 1_500_000), other_amt_adjustments=some(0.1, -20_000, 40_000),
        amt_short_term_gain=short_term + some(0.2, 0, 50_000), amt_long_term_gain=long_term - some(0.3, 0, 200_000),
        amt_credit_carryforward=some(0.2, 0, 120_000),
        age_65_or_blind=np.where(rng.random(n) < 0.2, rng.integers(0, 2, n) * per_filer, 0),
        senior_count=np.where(rng.random(n) < 0.2, rng.integers(0, 2, n) * per_filer, 0),
    )


# chunks shorter than a block of inputs, and chunks of two whole blocks and part of a third
@pytest.mark.parametrize("chunk_rows", [7, 2 * kernel.BLOCK_ROWS + 44])
@pytest.mark.parametrize("deduction", ["auto", "standard", "itemized"])
def test_compiled_loop_is_the_interpreted_kernel_bit_for_bit(
    deduction: Deduction, chunk_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = households(**mixed_households(400))
    monkeypatch.setattr(compiled, "INTERPRETED_ROWS", 10**6)
    monkeypatch.setattr(compiled, "COMPILED_RAN", set())  # no compiled loop has run: the interpreter computes
    interpreted = compute_federal(h, law_table(), deduction=deduction)
    monkeypatch.setattr(compiled, "INTERPRETED_ROWS", 0)
    monkeypatch.setattr(compiled.PROCESS, "loaded", True)  # compiled even where interpreting costs less than loading
    monkeypatch.setattr(compiled, "CHUNK_ROWS", chunk_rows)
    batch = compute_federal(h, law_table(), deduction=deduction)
    assert list(batch.lines) == list(kernel.LINE_KEYS)
    for key in kernel.LINE_KEYS:
        # same bits, so 0.0 and -0.0 too
        assert np.array_equal(interpreted.lines[key].view(np.uint64), batch.lines[key].view(np.uint64)), key


def test_a_small_batch_runs_compiled_once_its_compiled_loop_has_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled.PROCESS, "loaded", True)
    batch = households(**mixed_households(compiled.INTERPRETED_ROWS + 1))
    compute_federal(batch, law_table())  # the compiled loop loaded (or compiled) before the interpreter is watched
    interpreted_calls: list[int] = []
    interpreted_rows = kernel.federal_rows

    def counted(start: int, stop: int, *args: Any) -> None:
        interpreted_calls.append(stop - start)
        interpreted_rows(start, stop, *args)

    monkeypatch.setattr(kernel, "federal_rows", counted)  # the interpreter's entry; the compiled loop has its own
    monkeypatch.setattr(compiled, "COMPILED_RAN", set())
    one = households(**mixed_households(1))
    first = compute_federal(one, law_table())
    assert interpreted_calls == [1]  # no compiled loop has run yet: one household does not wait for one to load
    compute_federal(batch, law_table())
    assert sorted(compiled.COMPILED_RAN) == ["federal"] and interpreted_calls == [1]
    again = compute_federal(one, law_table())
    assert interpreted_calls == [1]  # now compiled, with the same bits
    for key in kernel.LINE_KEYS:
        assert np.array_equal(first.lines[key].view(np.uint64), again.lines[key].view(np.uint64)), key


def test_each_input_is_read_into_its_own_place() -> None:
    x = tuple([float(k)] for k in range(kernel.N_INPUTS))
    xb = [[None] * kernel.N_INPUTS]
    kernel.block_inputs(x, 0, 1, xb)
    xi = xb[0]
    assert xi == [float(k) for k in range(kernel.N_INPUTS)]
    assert [kernel.INPUT_FIELDS[getattr(kernel, name)] for name in dir(kernel) if name.startswith("I_")]
    assert len({getattr(kernel, name) for name in dir(kernel) if name.startswith("I_")}) == kernel.N_INPUTS


def test_the_kernel_table_holds_the_law_of_each_year_and_status() -> None:
    law = law_table()
    table, n_tops = compiled.kernel_table(law)
    for year in (law.first_year, law.last_year):
        for status in range(len(STATUSES)):
            row = table[(year - law.first_year) * len(STATUSES) + status]
            p = law.parameters(year - law.first_year, status)
            assert row[kernel.P_AMT_EXEMPTION] == p.amt_exemption
            assert row[kernel.P_SALT_CAP] == p.salt_cap
            rates = row[kernel.P_ORDINARY_RATES:kernel.P_ORDINARY_RATES + n_tops + 1]
            tops = row[kernel.P_ORDINARY_RATES + n_tops + 1:kernel.P_ORDINARY_RATES + 2 * n_tops + 1]
            assert rates.tolist() == list(p.ordinary_rates)
            assert tops.tolist() == list(p.ordinary_brackets)
            # after the tops, each rate step: the very difference the schedule's arithmetic would take
            steps = row[kernel.P_ORDINARY_RATES + 2 * n_tops + 1:kernel.P_ORDINARY_RATES + 3 * n_tops + 1]
            rate_list = list(p.ordinary_rates)
            assert steps.tolist() == [high - low for low, high in itertools.pairwise(rate_list)]
            assert row.shape == (kernel.P_ORDINARY_RATES + 3 * n_tops + 1,)


def test_one_household_never_imports_numba() -> None:
    code = ("import sys\nfrom isoplan.tax.federal import compute_federal\n"
            "from isoplan.tax.households import households\n"
            "r = compute_federal(households(year=2026, filing_status='single', wages=200000.0,"
            " iso_bargain_element=400000.0))\nassert r.amt[0] > 0\nprint('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_kernel_writes_every_line_explain_shows() -> None:
    from isoplan.tax.explain import LINES, OUTPUTS

    assert {key for key, _, _, _ in LINES} <= set(kernel.LINE_KEYS)
    assert set(OUTPUTS) <= set(kernel.LINE_KEYS)


def test_batches_run_interpreted_until_interpreting_adds_up_to_loading_compiled_code() -> None:
    """A new process interprets batches while their time, added up, stays below loading the compiled code; the batch
    that would pass it runs compiled, and so does every batch once numba is imported (compiled code runs)."""
    code = ("import sys\nfrom isoplan.tax import compiled\n"
            "print([compiled.interpret(0.4 * compiled.LOAD_SECONDS) for _ in range(4)], 'numba' in sys.modules)\n"
            "import numba\nprint(compiled.interpret(0.0))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["[True, True, False, False] False", "False"]


def test_a_batch_of_a_few_thousand_households_runs_interpreted_in_a_new_process() -> None:
    code = ("import sys\nimport numpy as np\nfrom isoplan.tax.federal import compute_federal\n"
            "from isoplan.tax.households import households\n"
            "r = compute_federal(households(year=np.full(3000, 2026), filing_status=np.zeros(3000, dtype=np.int8),"
            " wages=np.linspace(0.0, 1e6, 3000)))\nprint('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"



#: Run in a new process: the engine's one-thread loop on a batch of 65 households, counting numba's set-ups of its
#: typing and lowering rules (``BaseContext.refresh``). Prints that count, how many of the engine's compiled drivers
#: were made, how many times the loop was loaded from numba's cache, and whether its lines are the interpreter's, bit
#: for bit (signs of zeros too).
RUN_COMPILED = """
import numpy as np
from numba.core import base

set_ups = []
refresh = base.BaseContext.refresh
def counted(self):
    set_ups.append(type(self).__name__)
    refresh(self)
base.BaseContext.refresh = counted

from isoplan.tax import compiled, kernel
from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households

n = compiled.INTERPRETED_ROWS + 1
h = households(year=np.full(n, 2026), filing_status=np.arange(n) % 5, wages=np.linspace(0.0, 2e6, n),
               iso_bargain_element=np.linspace(3e5, 0.0, n), long_term_gain=np.linspace(-5e4, 4e5, n))
interpreted = compute_federal(h).lines
compiled.use_compiled()
ran = compute_federal(h).lines
same = all(np.array_equal(ran[k], interpreted[k]) and np.array_equal(np.signbit(ran[k]), np.signbit(interpreted[k]))
           for k in kernel.LINE_KEYS)
hits = sum(compiled._compiled("federal").stats.cache_hits.values())
print(len(set_ups), compiled._compiled.cache_info().currsize, hits, same)
"""


def test_a_new_process_loads_the_cached_loop_without_setting_up_numbas_compiler() -> None:
    """The first process may compile the loop (and so set up numba's rules); the next loads the machine code from the
    cache without setting them up, makes only the driver it runs, and computes the interpreter's bits."""
    subprocess.run([sys.executable, "-c", RUN_COMPILED], capture_output=True, text=True, check=True)
    out = subprocess.run([sys.executable, "-c", RUN_COMPILED], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "1", "1", "True"]


def with_one_more_bracket(table: np.ndarray, n_tops: int) -> np.ndarray:
    """The kernel table with an ordinary bracket added above the top one, in every row: its top a quarter above the
    top one's, its rate the top rate plus a fifth of the first rate (the rate steps after the tops follow)."""
    start = kernel.P_ORDINARY_RATES
    rates = table[:, start:start + n_tops + 1]
    tops = table[:, start + n_tops + 1:start + 2 * n_tops + 1]
    new_rates = np.concatenate([rates, rates[:, -1:] + rates[:, :1] / 5], axis=1)
    new_tops = np.concatenate([tops, 1.25 * tops[:, -1:]], axis=1)
    steps = new_rates[:, 1:] - new_rates[:, :-1]
    return np.ascontiguousarray(np.concatenate([table[:, :start], new_rates, new_tops, steps], axis=1))


def test_the_compiled_loop_runs_as_many_brackets_as_the_table_has(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled loop is made for the table's number of bracket tops (a constant in its machine code): a table with
    one more gives the interpreter's lines, and the tax of the new bracket above its top."""
    law = law_table()
    table, n_tops = compiled.kernel_table(law)
    wider = with_one_more_bracket(table, n_tops)
    h = households(**mixed_households(1000, seed=9))
    x = tuple(getattr(h, name) for name in kernel.INPUT_FIELDS)
    keep = np.arange(kernel.N_LINES, dtype=np.intp)
    mode = kernel.DEDUCTION_MODES["standard"]  # no Schedule A: the table's top bracket enters only the tax
    monkeypatch.setattr(compiled, "COMPILED_RAN", set())
    monkeypatch.setattr(compiled, "INTERPRETED_ROWS", 10**6)
    interpreted = compiled.federal(x, h.year, h.filing_status, law.first_year, wider, n_tops + 1, mode, keep)
    monkeypatch.setattr(compiled, "INTERPRETED_ROWS", 0)
    monkeypatch.setattr(compiled.PROCESS, "loaded", True)
    ran = compiled.federal(x, h.year, h.filing_status, law.first_year, wider, n_tops + 1, mode, keep)
    assert np.array_equal(interpreted.view(np.uint64), ran.view(np.uint64))
    as_law = compiled.federal(x, h.year, h.filing_status, law.first_year, table, n_tops, mode, keep)
    row = (h.year - law.first_year) * len(STATUSES) + h.filing_status
    new_top = wider[row, kernel.P_ORDINARY_RATES + 2 * (n_tops + 1) + 1 - 1]
    new_step = wider[row, kernel.P_ORDINARY_RATES + 3 * (n_tops + 1)]
    taxable = ran[kernel.L_TAXABLE_INCOME]
    ordinary_only = ran[kernel.L_Q4] == 0  # regular tax is the schedule's tax on taxable income
    above = ordinary_only & (taxable > new_top)
    below = taxable <= new_top
    assert above.sum() >= 3 and below.sum() >= 3
    extra = ran[kernel.L_REGULAR_TAX] - as_law[kernel.L_REGULAR_TAX]
    # the new rate step on the income above the new top, and nothing below it
    assert np.allclose(extra[above], new_step[above] * (taxable[above] - new_top[above]), rtol=1e-9, atol=1e-6)
    assert np.array_equal(extra[below], np.zeros(below.sum()))
