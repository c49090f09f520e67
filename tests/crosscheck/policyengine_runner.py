"""Run California households through PolicyEngine-US and write its California numbers to a CSV.

Runs inside ``.venv-policyengine`` (``bash tests/crosscheck/setup_policyengine.sh``)::

    .venv-policyengine/bin/python tests/crosscheck/policyengine_runner.py IN.csv OUT.csv

``IN.csv`` columns (empty or missing cells are 0; extra columns are ignored):
year, filing_status (single/mfj/mfs/hoh/qss), wages, taxable_interest,
ordinary_dividends, qualified_dividends, long_term_gain, state_local_tax,
property_tax (the part of state_local_tax that is property tax),
mortgage_interest, charitable.

Every household becomes one person, one tax unit and one household with
``state_code = "CA"``; ``filing_status`` is set as an input, so no spouse or
dependant is needed (the personal exemption credit count comes from PE's
``personal_scale[filing_status]``). All households of one year go into ONE
``Simulation`` (the model's fixed cost is paid once per year, not per row).

Input mapping (PolicyEngine-US 2.68.0 variable names):

=====================  =============================================================
IN column              PolicyEngine variable (entity)
=====================  =============================================================
wages                  ``employment_income`` (person)
taxable_interest       ``taxable_interest_income`` (person)
ordinary_dividends     ``qualified_dividend_income`` + ``non_qualified_dividend_income``
long_term_gain         ``long_term_capital_gains`` (person)
property_tax           ``real_estate_taxes`` (person): deductible in CA, added back on Schedule P line 3
state_local_tax        the rest -> ``state_and_local_sales_or_income_tax`` (tax unit; federal only)
mortgage_interest      ``deductible_mortgage_interest`` (person; set directly, so no acquisition-debt cap)
charitable             ``charitable_cash_donations`` (person; 50%-organization cash gifts)
=====================  =============================================================

Output columns (``pe_`` + PolicyEngine variable, one row per input row):
pe_ca_agi, pe_ca_standard_deduction, pe_ca_itemized_deductions_pre_limitation,
pe_ca_itemized_deductions (after the R&TC §17077 limitation), pe_ca_deductions (the
larger of the two), pe_ca_taxable_income (540 l.19), pe_ca_income_tax_before_credits
(540 l.31), pe_ca_exemptions (540 l.32, before the tax limit),
pe_ca_itemized_deductions_limitation (Sch. P l.18), pe_ca_amti (Sch. P l.21),
pe_ca_amt_exemption (l.22), pe_ca_tmt (l.24, recomputed: PE keeps it local to
``ca_amt``; checked against ``ca_amt``), pe_ca_amt (l.26),
pe_ca_mental_health_services_tax (540 l.62), and the parameters PE used:
pe_param_amt_exemption_amount, pe_param_amt_phaseout_start, pe_param_amt_phaseout_rate
(the *federal* ``gov.irs.income.amt.exemption.phase_out.rate`` that ``ca_amt_exemption``
reads), pe_param_tmt_rate.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict

import numpy as np

STATUS = {"single": "SINGLE", "mfj": "JOINT", "mfs": "SEPARATE", "hoh": "HEAD_OF_HOUSEHOLD", "qss": "SURVIVING_SPOUSE"}
OUTPUTS = (
    "ca_agi", "ca_standard_deduction", "ca_itemized_deductions_pre_limitation", "ca_itemized_deductions",
    "ca_deductions", "ca_taxable_income", "ca_income_tax_before_credits", "ca_exemptions",
    "ca_itemized_deductions_limitation", "ca_amti", "ca_amt_exemption", "ca_amt", "ca_mental_health_services_tax",
)


def _f(row: dict, key: str) -> float:
    value = row.get(key) or ""
    return float(value) if value.strip() else 0.0


def situation(rows: list[dict], year: int) -> dict:
    y = str(year)
    people, tax_units, households, families, spm_units, marital_units = {}, {}, {}, {}, {}, {}
    for i, r in enumerate(rows):
        p = f"p{i}"
        ordinary, qualified = _f(r, "ordinary_dividends"), _f(r, "qualified_dividends")
        property_tax = _f(r, "property_tax")
        people[p] = {
            "age": {y: 40},
            "employment_income": {y: _f(r, "wages")},
            "taxable_interest_income": {y: _f(r, "taxable_interest")},
            "qualified_dividend_income": {y: qualified},
            "non_qualified_dividend_income": {y: ordinary - qualified},
            "long_term_capital_gains": {y: _f(r, "long_term_gain")},
            "real_estate_taxes": {y: property_tax},
            "deductible_mortgage_interest": {y: _f(r, "mortgage_interest")},
            "charitable_cash_donations": {y: _f(r, "charitable")},
        }
        tax_units[f"t{i}"] = {
            "members": [p],
            "filing_status": {y: STATUS[r["filing_status"].strip().lower()]},
            "state_and_local_sales_or_income_tax": {y: max(_f(r, "state_local_tax") - property_tax, 0.0)},
        }
        households[f"h{i}"] = {"members": [p], "state_code": {y: "CA"}}
        families[f"f{i}"] = {"members": [p]}
        spm_units[f"s{i}"] = {"members": [p]}
        marital_units[f"m{i}"] = {"members": [p]}
    return {"people": people, "tax_units": tax_units, "households": households, "families": families,
            "spm_units": spm_units, "marital_units": marital_units}


def run_year(rows: list[dict], year: int) -> dict[str, np.ndarray]:
    from policyengine_us import Simulation

    sim = Simulation(situation=situation(rows, year))
    out = {f"pe_{v}": np.asarray(sim.calculate(v, year), dtype=np.float64) for v in OUTPUTS}
    params = sim.tax_benefit_system.parameters(f"{year}-01-01")
    ca_amt = params.gov.states.ca.tax.income.amt
    irs_rate = float(params.gov.irs.income.amt.exemption.phase_out.rate)
    status = sim.calculate("filing_status", year)  # enum array
    amount = np.asarray(ca_amt.exemption.amount[status], dtype=np.float64)
    start = np.asarray(ca_amt.exemption.amti.threshold.lower[status], dtype=np.float64)
    tmt_rate = float(ca_amt.tentative_min_tax_rate)
    # ca_amt.py lines 23-24, kept local there: TMT = 7% x max(AMTI - exemption, 0)
    tmt = tmt_rate * np.maximum(out["pe_ca_amti"] - out["pe_ca_amt_exemption"], 0.0)
    check = np.maximum(tmt - out["pe_ca_income_tax_before_credits"], 0.0)
    if np.max(np.abs(check - out["pe_ca_amt"]), initial=0.0) > 0.01:
        raise SystemExit("policyengine_runner: recomputed TMT does not reproduce ca_amt")
    n = len(rows)
    out["pe_ca_tmt"] = tmt
    out["pe_param_amt_exemption_amount"] = amount
    out["pe_param_amt_phaseout_start"] = start
    out["pe_param_amt_phaseout_rate"] = np.full(n, irs_rate)
    out["pe_param_tmt_rate"] = np.full(n, tmt_rate)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: policyengine_runner.py IN.csv OUT.csv", file=sys.stderr)
        return 2
    with open(argv[1], newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_year: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_year[int(float(r["year"]))].append(i)
    columns: dict[str, np.ndarray] = {}
    for year, idx in sorted(by_year.items()):
        result = run_year([rows[i] for i in idx], year)
        for key, values in result.items():
            columns.setdefault(key, np.zeros(len(rows)))[idx] = values
    keys = list(columns)
    with open(argv[2], "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(keys)
        for i in range(len(rows)):
            writer.writerow([repr(float(columns[k][i])) for k in keys])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
