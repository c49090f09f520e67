"""The compiled room solver (planning/room_kernel.py) against the NumPy solver of planning/room.py.

Both take the same steps, one household at a time or one group at a time, so the rooms, credit lines and
every other output must be the same to the bit, for batches mixing every year and filing status, itemizers,
gains, existing spread, credit carryforwards and households already in AMT. The row functions also run
interpreted (the same functions, no numba), and every room is checked on the engine itself.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields

import numpy as np
import pytest

from isoplan.planning import room_kernel
from isoplan.planning.room import RoomResult, amt_room
from isoplan.tax import compiled as tax_compiled
from isoplan.tax import kernel
from isoplan.tax.compiled import PROCESS
from isoplan.tax.federal import compute_federal
from isoplan.tax.households import Households, households
from isoplan.tax.law import STATUSES, law_table, supported_years

LAW = law_table()


def room_batch(n: int, seed: int = 3) -> Households:
    """Every year and status; most households with a room to find, some past it, some with a credit to use."""
    rng = np.random.default_rng(seed)
    years = supported_years()

    def some(p: float, lo: float, hi: float) -> np.ndarray:
        return np.where(rng.random(n) < p, np.round(rng.uniform(lo, hi, n), 2), 0.0)

    status = rng.integers(0, len(STATUSES), n)
    per_filer = np.where(status == STATUSES.index("mfj"), 2, 1)
    dividends = some(0.5, 0, 60_000)
    long_term = some(0.5, -40_000, 400_000)
    return households(
        year=rng.integers(years.start, years.stop, n), filing_status=status,
        wages=np.where(rng.random(n) < 0.2, np.round(rng.uniform(0, 120_000, n)),
                       np.round(rng.lognormal(np.log(220_000), 0.8, n), 2)),
        taxable_interest=some(0.5, 0, 30_000), ordinary_dividends=dividends,
        qualified_dividends=np.round(dividends * rng.uniform(0, 1, n), 2),
        short_term_gain=some(0.3, -30_000, 60_000), long_term_gain=long_term,
        nso_income=some(0.1, 0, 300_000), other_ordinary_income=some(0.2, 0, 100_000),
        state_local_tax=some(0.7, 0, 90_000), mortgage_interest=some(0.5, 0, 50_000),
        charitable=some(0.5, 0, 60_000), other_itemized=some(0.15, 0, 30_000),
        iso_bargain_element=some(0.2, 0, 300_000), other_amt_adjustments=some(0.1, -20_000, 40_000),
        amt_long_term_gain=long_term - some(0.2, 0, 100_000),
        amt_credit_carryforward=some(0.25, 0, 120_000),
        age_65_or_blind=np.where(rng.random(n) < 0.2, rng.integers(0, 2, n) * per_filer, 0),
        senior_count=np.where(rng.random(n) < 0.2, rng.integers(0, 2, n) * per_filer, 0),
    )


def numpy_rooms(h: Households, deduction: str, monkeypatch: pytest.MonkeyPatch) -> RoomResult:
    with monkeypatch.context() as m:
        m.setattr(room_kernel, "INTERPRETED_ROWS", 10**9)
        return amt_room(h, LAW, deduction=deduction)  # type: ignore[arg-type]


def assert_same_bits(a: np.ndarray, b: np.ndarray, name: str) -> None:
    if a.dtype == bool:
        assert np.array_equal(a, b), name
    else:
        assert np.array_equal(a.astype(np.float64).view(np.uint64), b.astype(np.float64).view(np.uint64)), name


@pytest.mark.parametrize("deduction", ["auto", "standard", "itemized"])
def test_compiled_rooms_are_the_numpy_solver_bit_for_bit(deduction: str, monkeypatch: pytest.MonkeyPatch) -> None:
    h = room_batch(4000)
    expected = numpy_rooms(h, deduction, monkeypatch)
    # across the cores, in small chunks
    monkeypatch.setattr(PROCESS, "loaded", True)  # compiled even where interpreting costs less than loading
    monkeypatch.setattr(room_kernel, "PARALLEL_ROWS", 0)
    monkeypatch.setattr(room_kernel, "CHUNK_ROWS", 7)
    got = amt_room(h, LAW, deduction=deduction)  # type: ignore[arg-type]
    for f in fields(RoomResult):
        assert_same_bits(getattr(expected, f.name), getattr(got, f.name), f.name)
    # the batch reaches every branch: already in AMT, a credit line, an election switch past the line
    assert got.already_in_amt.any() and (~got.already_in_amt).any()
    assert np.isfinite(got.credit_line).any()
    if deduction == "auto":
        assert got.election_switch.any()


@pytest.mark.parametrize("deduction", ["auto", "standard"])
def test_the_row_functions_run_interpreted_give_the_compiled_rooms(deduction: str) -> None:
    h = room_batch(300, seed=8)
    compiled = room_kernel.rooms(h, LAW, deduction)
    interpreted = room_kernel.rooms_interpreted(h, LAW, deduction)
    for name in (*room_kernel.AMOUNTS, *room_kernel.FLAGS):
        assert_same_bits(compiled[name], interpreted[name], name)


@pytest.mark.parametrize("loop_ran", [False, True], ids=["interpreted", "compiled"])
@pytest.mark.parametrize("deduction", ["auto", "standard", "itemized"])
def test_a_few_households_get_the_numpy_solvers_rooms_from_the_row_functions(
    deduction: str, loop_ran: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the compiled loop has run in the process the row functions run interpreted, after it compiled."""
    monkeypatch.setattr(tax_compiled, "COMPILED_RAN", {room_kernel.COMPILED_NAME} if loop_ran else set())
    ran = {"compiled": 0, "interpreted": 0}
    for name, kind in (("rooms", "compiled"), ("rooms_interpreted", "interpreted")):
        def counted(*args: object, _run: object = getattr(room_kernel, name), _kind: str = kind) -> object:
            ran[_kind] += 1
            return _run(*args)  # type: ignore[operator]
        monkeypatch.setattr(room_kernel, name, counted)
    h = room_batch(280, seed=11)
    start = 0
    for size in [1, 2, 3, room_kernel.ROW_BY_ROW_ROWS] * 20:
        part = h.slice(start, start + size)
        start += size
        got = amt_room(part, LAW, deduction=deduction)  # type: ignore[arg-type]
        with monkeypatch.context() as m:
            m.setattr(room_kernel, "ROW_BY_ROW_ROWS", 0)
            expected = amt_room(part, LAW, deduction=deduction)  # type: ignore[arg-type]
        for f in fields(RoomResult):
            assert_same_bits(getattr(expected, f.name), getattr(got, f.name), f.name)
    assert ran == {"compiled": 80 if loop_ran else 0, "interpreted": 0 if loop_ran else 80}


@pytest.mark.parametrize("deduction", ["auto", "standard"])
def test_every_compiled_room_is_the_line_on_the_engine(deduction: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PROCESS, "loaded", True)
    h = room_batch(3000, seed=9)
    r = amt_room(h, LAW, deduction=deduction)  # type: ignore[arg-type]
    at = compute_federal(h.replace(iso_bargain_element=h.iso_bargain_element + r.amt_room), LAW,
                         deduction=deduction, keep=("amt",)).amt  # type: ignore[arg-type]
    past = compute_federal(h.replace(iso_bargain_element=h.iso_bargain_element + r.amt_room + 1), LAW,
                           deduction=deduction, keep=("amt",)).amt  # type: ignore[arg-type]
    ok = np.where(r.already_in_amt, r.amt_room == 0, (at == 0) & (past > 0))
    assert ok.all()


def test_one_household_never_imports_numba() -> None:
    code = ("import sys\nfrom isoplan.planning.room import amt_room\n"
            "from isoplan.tax.households import households\n"
            "r = amt_room(households(year=2026, filing_status='single', wages=200000.0))\n"
            "assert r.amt_room[0] == 31384\nprint('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("itemize", [False, True])
def test_each_elections_curve_is_the_engines_own_lines(itemize: bool) -> None:
    """The room reads each election's Form 6251 inputs from the engine's regular_tax_lines and amti_lines (not its
    stored lines): they, the Form 6251 they give at no added spread and the taxes there are the engine's lines."""
    h = room_batch(400, seed=5)
    table, n_tops = tax_compiled.kernel_table(LAW)
    flat, width, tops = table.ravel().tolist(), table.shape[1], kernel.bracket_tops(n_tops)
    for i in range(len(h)):
        xi = [float(getattr(h, name)[i]) for name in kernel.INPUT_FIELDS]
        status = int(h.filing_status[i])
        at = ((int(h.year[i]) - LAW.first_year) * len(STATUSES) + status) * width
        v = [0.0] * kernel.N_LINES
        kernel.income_and_deductions(xi, status, flat, at, tops, v)
        curve, taxes0 = room_kernel.curve_of(xi, status, flat, at, tops, itemize, v)
        kernel.tax_lines(xi, status, flat, at, tops, itemize, v)
        assert curve[:7] == tuple(v[k] for k in (kernel.L_REGULAR_TAX, kernel.L_AMT_LINE1B, kernel.L_AMT_LINE2A,
                                                 kernel.L_AMT_LINE2I, kernel.L_AMT_LINE2K, kernel.L_AMT_LINE3,
                                                 kernel.L_AMT_LINE13))
        form6251 = kernel.form6251_from_amti(room_kernel.amti_at(curve, 0.0), status, curve[6], curve[7], curve[8],
                                             flat, at)
        assert form6251 == tuple(v[k] for k in (kernel.L_MFS_ADDON, kernel.L_AMTI, kernel.L_AMT_EXEMPTION,
                                                kernel.L_AMT_BASE, kernel.L_AMT_LINE18, kernel.L_AMT_LINE31,
                                                kernel.L_AMT_LINE34, kernel.L_AMT_LINE39, kernel.L_AMT_LINE7))
        assert taxes0 == (v[kernel.L_AMT], v[kernel.L_AFTER_CREDIT], v[kernel.L_TMT])


def test_compiled_rooms_in_chunks_of_several_input_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks longer than one block of gathered inputs, ending inside a block, give the NumPy solver's rooms."""
    h = room_batch(3000, seed=12)
    expected = numpy_rooms(h, "auto", monkeypatch)
    monkeypatch.setattr(PROCESS, "loaded", True)  # compiled even where interpreting costs less than loading
    monkeypatch.setattr(room_kernel, "PARALLEL_ROWS", 0)
    monkeypatch.setattr(room_kernel, "CHUNK_ROWS", 2 * kernel.BLOCK_ROWS + 37)
    got = amt_room(h, LAW, deduction="auto")
    for f in fields(RoomResult):
        assert_same_bits(getattr(expected, f.name), getattr(got, f.name), f.name)
