"""The jurisdiction seam: the registry, California behind the protocol, and a toy second state.

The toy state (a flat 5% of federal AGI, no AMT, so no credit) is defined and
registered here only: it flows through the plan's model, evaluation and
optimizer with no change to federal or planning code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pytest

from isoplan.planning.plan import parse_plan
from isoplan.planning.staging import build_model, evaluate, run_plan
from isoplan.tax.credit_chain import ChainYear, CreditLines, credit_years
from isoplan.tax.federal import FederalResult, compute_federal
from isoplan.tax.form8801 import exclusion_items_only
from isoplan.tax.households import households
from isoplan.tax.law import law_table
from isoplan.tax.states import (
    InputField,
    Jurisdiction,
    LineRow,
    federal_only_note,
    jurisdiction,
    modeled_states,
    register,
    unregister,
)
from isoplan.tax.states.california import CALIFORNIA, ca_law_table

LAW = law_table(0.025)
RATE = 0.05


class Flatland:
    """A flat 5% of federal AGI; no AMT, so its credit chain carries nothing."""

    code = "ZZ"
    name = "Flatland"
    key = "flatland"
    credit_form = "none"
    credit_lines = CreditLines(
        regular_tax="zz_tax", tentative_minimum_tax="zz_zero", amt="zz_zero", amti="zz_zero",
        credit_limit="zz_zero", credit_used="zz_zero", total_tax="zz_tax", tax="zz_tax", itemized="zz_zero",
        itemized_allowed="zz_zero", standard_deduction="zz_zero",
    )
    extra_inputs = (InputField("zz_credit", "Flatland credit carried in", carried_credit=True),)
    outputs = ("zz_tax",)
    cost_lines = (("regular_tax", "zz_tax"), ("amt", "zz_zero"), ("credit_used", "zz_zero"), ("total_tax", "zz_tax"))

    def law_table(self, inflation: float | None = None) -> Any:
        return ca_law_table(inflation)  # any table covering the years: Flatland has no parameters

    def compute(self, households: Any, law: Any, *, inputs: Mapping[str, Any], credit: Any,
                deduction: str = "auto", keep: Sequence[str] | None = None) -> FederalResult:
        agi = compute_federal(households, LAW, keep=("agi",)).agi
        return FederalResult({"zz_tax": RATE * np.maximum(agi, 0.0), "zz_zero": 0.0 * agi},
                             np.zeros(len(households), dtype=bool))

    def exclusion_items_only(self, households: Any) -> Any:
        return exclusion_items_only(households)

    def credit_form_lines(self, chain: Mapping[str, Any]) -> dict[str, Any]:
        return {"credit_used": chain["credit_used"]}

    def credit_years(self, households_by_year: Sequence[Any], law: Any = None, *, inputs_by_year: Any = None,
                     deduction: str = "auto", initial_carryforward: Any = 0.0) -> list[ChainYear]:
        return credit_years(self, households_by_year, law or self.law_table(), inputs_by_year=inputs_by_year,
                            initial_carryforward=initial_carryforward)

    def explain_rows(self, result: FederalResult, i: int = 0) -> list[LineRow]:
        return [LineRow("zz_tax", "Flatland 1", "1", "Tax (5% of federal AGI)", float(result.zz_tax[i]))]

    def year_notes(self, law: Any, year: int, status_code: int) -> list[str]:
        return ["Flatland taxes 5% of federal AGI."]

    def amt_basis_worth(self, law: Any, years: Sequence[int]) -> float:
        return 0.0


@pytest.fixture
def flatland():
    state = register(Flatland())
    yield state
    unregister("ZZ")


def test_the_registry_knows_california_and_nothing_else():
    assert modeled_states() == ("CA",)
    assert jurisdiction("ca") is CALIFORNIA and jurisdiction("CA") is CALIFORNIA
    assert jurisdiction("NY") is None and jurisdiction(None) is None and jurisdiction("") is None
    assert federal_only_note("NY") == ("state NY: isoplan models federal tax and California only; NY income tax "
                                       "is not included in any figure shown")


def test_california_conforms_to_the_protocol():
    assert isinstance(CALIFORNIA, Jurisdiction)
    ca: Jurisdiction = CALIFORNIA
    assert (ca.code, ca.name, ca.key, ca.credit_form) == ("CA", "California", "california", "FTB 3510")
    assert [f.name for f in ca.extra_inputs] == ["property_tax", "ca_amt_credit_carryforward"]
    assert all(f.help for f in ca.extra_inputs)
    law = ca.law_table(0.025)
    h = households(year=2025, filing_status="single", wages=300_000.0, iso_bargain_element=200_000.0)
    result = ca.compute(h, law, inputs={"property_tax": 0.0}, credit=0.0)
    assert set(ca.outputs) <= set(result.lines)
    rows = ca.explain_rows(result)
    assert rows[0].key == "ca_capital_gain_in_agi" and all(isinstance(r.value, float) for r in rows)
    assert any("California" in note for note in ca.year_notes(law, 2025, 0))
    # FTB 3510 across two years: the first year's AMT (all from the ISO line, a deferral item) is credit
    years = ca.credit_years([h, h.replace(iso_bargain_element=0.0)], law)
    assert float(years[0].credit_created[0]) == pytest.approx(float(result.ca_amt[0]))
    assert float(years[1].lines["credit_from_prior_year"][0]) == pytest.approx(float(result.ca_amt[0]))


def test_a_second_state_registers_in_one_place(flatland):
    assert modeled_states() == ("CA", "ZZ") and jurisdiction("zz") is flatland
    assert "California and Flatland only" in federal_only_note("NY")


def _plan(state: str):
    data = {
        "person": {"filing_status": "single", "state": state},
        "income": {"wages": 250000, "state_local_tax": 24000},
        "stock": {"kind": "public", "price": 6.0, "price_date": date(2027, 1, 2), "growth": 0.08},
        "grants": [{"id": "a", "grant_date": date(2021, 1, 15), "shares": 20000, "strike": 1.0}],
        "plan": {"start_year": 2027, "exit_date": date(2029, 6, 30)},
    }
    return parse_plan(data, "test.toml", today=date(2026, 11, 28))


def test_a_toy_state_flows_through_the_plan(flatland):
    model = build_model(_plan("ZZ"), LAW)
    federal_only = build_model(_plan("NY"), LAW)
    assert model.state is not None and model.state.jurisdiction is flatland and federal_only.state is None
    schedule = np.zeros((1, len(model.blocks), len(model.years)))
    schedule[0, :, 0] = 5000
    ev, fed = evaluate(model, schedule), evaluate(federal_only, schedule)
    for t, year in enumerate(model.years):
        h = households(year=year, filing_status="single", wages=250000.0, state_local_tax=24000.0,
                       other_ordinary_income=float(ev.ordinary[t, 0]), long_term_gain=float(ev.long_term_gain[t, 0]))
        agi = float(compute_federal(h, LAW).agi[0])
        assert ev.state_tax[t, 0] == pytest.approx(RATE * agi)  # 5% of federal AGI
        assert ev.total_tax[t, 0] == pytest.approx(fed.total_tax[t, 0] + RATE * agi)
    assert np.all(ev.state_amt == 0) and np.all(ev.state_credit_left == 0)
    outcome = run_plan(_plan("ZZ"), LAW)
    row = outcome.year_rows(outcome.recommended)[0]
    assert row["flatland"]["tax"] > 0 and "california" not in row  # type: ignore[typeddict-item]
    assert outcome.as_dict()["recommended"]["flatland"]["total_tax"] > 0  # type: ignore[index]


SINGLE = {"year": 2026, "filing_status": "single", "wages": 200_000, "iso_bargain_element": 100_000}


def test_a_toy_state_flows_through_the_tax_use_case(flatland):
    from isoplan.app.tax import TaxRequest, compute_tax

    r = compute_tax(TaxRequest(SINGLE, state="ZZ", state_amounts={"zz_credit": 0}, explain=True))
    agi = r.outputs.agi
    assert agi == pytest.approx(200_000)  # the ISO spread is an AMT item, not income
    data = r.as_dict()
    assert list(data)[-4:] == ["lines", "state", "flatland", "answer"] and "state_note" not in data
    assert data["flatland"]["outputs"] == {"zz_tax": pytest.approx(0.05 * 200_000)}
    assert data["flatland"]["lines"][0]["value"] == pytest.approx(10_000.0)
    assert data["flatland"]["notes"] == ["Flatland taxes 5% of federal AGI."]
    assert r.california is None
    # California's own input is refused for the toy state, naming the state that takes it
    from isoplan.errors import InputError

    with pytest.raises(InputError, match="used only with state CA"):
        compute_tax(TaxRequest(SINGLE, state="ZZ", property_tax=1000))


def test_an_unregistered_state_gets_the_one_note(flatland):
    from isoplan.app.tax import TaxRequest, compute_tax

    data = compute_tax(TaxRequest(SINGLE, state="NY")).as_dict()
    assert data["state_note"] == federal_only_note("NY") + "."
    assert "flatland" not in data and "california" not in data


def test_a_toy_state_flows_through_the_cost_use_case(flatland):
    from isoplan.app.cost import CostRequest, cost

    household = {"year": 2026, "filing_status": "single", "wages": 200_000}
    r = cost(CostRequest(household, shares=2_000, strike=10, fmv=110, state="ZZ", today=date(2026, 3, 1)))
    data = r.as_dict()
    assert data["state"] == "ZZ" and list(data)[-3:] == ["state", "flatland", "answer"]
    assert "california" not in data and "state_note" not in data and r.california is None
    zz = data["flatland"]
    # by hand: the 200,000 spread of shares held past December 31 is an AMT item, not income, so federal AGI
    # stays 200,000 and the flat 5% tax is 10,000 with or without the exercise: the exercise causes $0
    assert zz["tax"]["without_exercise"] == {"regular_tax": pytest.approx(10_000.0), "amt": 0.0,
                                             "credit_used": 0.0, "total_tax": pytest.approx(10_000.0)}
    assert zz["tax"]["with_exercise"]["total_tax"] == pytest.approx(10_000.0)
    assert zz["tax"]["incremental"]["total_tax"] == 0.0 and zz["outlay"]["flatland_tax"] == 0.0
    assert zz["outlay"]["total"] == pytest.approx(data["outlay"]["total"])
    # no AMT, so no state room; a note says so
    assert "room" not in zz and any("Flatland has no alternative minimum tax" in n for n in zz["notes"])
    # the same-year rescue: 90,000 of ordinary income (sold at 55, strike 10) adds 5% of it
    assert zz["rescue"]["incremental"]["total_tax"] == pytest.approx(0.05 * 90_000)
    assert zz["inputs"] == {"zz_credit": 0.0}


def test_a_state_without_an_amt_draws_no_room_line(flatland):
    from isoplan.app.room import RoomRequest, room

    household = {"year": 2026, "filing_status": "single", "wages": 200_000}
    federal = room(RoomRequest(household, spread_per_share=50)).as_dict()
    data = room(RoomRequest(household, spread_per_share=50, state="ZZ")).as_dict()
    assert data["state"] == "ZZ" and "flatland" not in data and "california" not in data
    assert data["state_note"] == ("Flatland has no alternative minimum tax, so there is no Flatland AMT line: the "
                                  "federal line binds.")
    # the federal line is the room, unchanged by the state
    assert data["amt_room"] == federal["amt_room"] and data["shares"] == federal["shares"]
    from isoplan.planning.room import state_amt_room

    h = households(year=2026, filing_status="single", wages=200_000.0)
    assert state_amt_room(flatland, h, flatland.law_table(), {}, 0.0) is None


class CaliforniaByAnotherCode:
    """California's return under another code: a state with an AMT but no closed-form room solver."""

    code, name, key = "ZY", "Clone", "clone"

    def __getattr__(self, name: str) -> Any:
        return getattr(CALIFORNIA, name)


def test_a_state_with_an_amt_gets_its_room_from_its_own_return():
    from isoplan.planning.room import california_amt_room, state_amt_room

    clone: Any = CaliforniaByAnotherCode()
    law = CALIFORNIA.law_table(0.025)
    h = households(year=[2025, 2026, 2025], filing_status=["single", "mfj", "single"],
                   wages=[200_000.0, 350_000.0, 150_000.0], iso_bargain_element=[0.0, 0.0, 400_000.0],
                   state_local_tax=10_000.0)
    exact = california_amt_room(h, law, property_tax=4_000.0, ca_amt_credit_carryforward=2_000.0)
    searched = state_amt_room(clone, h, law, {"property_tax": 4_000.0}, 2_000.0)
    assert searched is not None
    assert searched.tolist() == exact.ca_amt_room.tolist()
    assert searched[0] > 0 and searched[2] == 0  # the third household already owes California AMT


def test_a_toy_state_flows_through_the_ledger_years(flatland, tmp_path, capsys):
    import json

    from isoplan.app import ledger as ledger_app
    from isoplan.cli import main

    db = tmp_path / "ledger.db"
    ledger_app.init(db)
    for year, wages in ((2026, 200_000), (2027, 100_000)):
        ledger_app.set_income(db, ledger_app.IncomeRequest(year=year, filing_status="single",
                                                           amounts={"wages": wages}, state="ZZ"))
    capsys.readouterr()
    assert main(["ledger", "--db", str(db), "years", "--json"]) == 0
    years = json.loads(capsys.readouterr().out)["years"]
    assert [y["state"] for y in years] == ["ZZ", "ZZ"]
    for y, wages in zip(years, (200_000, 100_000), strict=True):
        zz = y["flatland"]
        assert "california" not in y and y["outputs"]["agi"] == pytest.approx(wages)
        # by hand: no option items, so federal AGI is the wages and Flatland's tax is 5% of it
        assert zz["outputs"] == {"zz_tax": pytest.approx(0.05 * wages)}
        assert zz["federal_plus_flatland"] == pytest.approx(y["outputs"]["total_tax"] + 0.05 * wages)
        assert (zz["credit_created"], zz["credit_used"], zz["credit_carried_forward"]) == (0.0, 0.0, 0.0)
        assert zz["inputs"] == {"zz_credit": 0.0} and zz["notes"] == ["Flatland taxes 5% of federal AGI."]
        assert not any("not included" in note for note in y["notes"])
