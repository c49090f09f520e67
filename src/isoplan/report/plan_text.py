"""The staging plan as text (``isoplan plan``): the recommended schedule, California beside it, the baselines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from isoplan.report.answer import plan_answer
from isoplan.report.format import money
from isoplan.report.text import table

#: the exercise cell of a year whose only exercise is a same-day exercise and sale (at the exit, or on a
#: block's last chance before its option ends)
SAME_DAY_SALE = "exercise and sell the same day"


def exercise_cell(year: Mapping[str, Any]) -> str:
    """What a year of a schedule exercises: the shares by block, the same-day exercise and sale that pays strike
    without a planned exercise, or ``-``."""
    shares = ", ".join(f"{v:,} {k}" for k, v in year["shares"].items())
    if shares:
        return shares
    return SAME_DAY_SALE if year["strike_cash"] > 0.5 else "-"


def credit_cells(year: Mapping[str, Any]) -> tuple[float, float]:
    """(credit made, credit reduced) of a year, both 0 or more: the engine's ``credit_created`` is next year's
    Form 8801 line 18 (this year's AMT less its net minimum tax on exclusion items), which is below zero when
    the exclusion items' minimum tax exceeds the AMT and then reduces the credit carried forward (line 21)."""
    created = float(year["credit_created"])
    return max(created, 0.0), max(-created, 0.0)


def credit_reduced_note(years: list[Mapping[str, Any]]) -> list[str]:
    """The footnote of the "credit reduced" column (empty when no year reduces the credit)."""
    if not any(credit_cells(y)[1] >= 0.5 for y in years):
        return []
    return ["credit reduced: Form 8801 line 18 below zero (the minimum tax on exclusion items exceeds the AMT); "
            "it lowers the credit carried forward (line 21)"]


class Record(Protocol):
    """A result record of the application layer: its JSON is ``as_dict()``."""

    def as_dict(self) -> dict[str, Any]: ...


def as_data(record: Record | Mapping[str, Any]) -> Mapping[str, Any]:
    """The JSON data of a result record (a mapping is taken as it is)."""
    return record if isinstance(record, Mapping) else record.as_dict()


def render_plan(record: Record | Mapping[str, Any]) -> str:
    """The text of ``isoplan plan`` (without the per-year form lines of --explain)."""
    data = as_data(record)
    rec = data["recommended"]
    out = [str(data.get("answer") or plan_answer(data)), "",
           f"Plan: {data['plan']}",
           f"Exit: everything sold {data['exit']['date']} at ${data['exit']['price']:,.2f} a share (assumed)",
           "Blocks: " + "; ".join(f"{b['block']} {b['shares']:,} sh @ ${b['strike']:,.2f}" for b in data["blocks"]),
           "", f"Recommended schedule ({rec['name']})"]
    rows = []
    reduced_note = credit_reduced_note(rec["years"])
    for y in rec["years"]:
        qual = ", ".join(sorted(set(y["qualifying_dates"].values()))) or "-"
        made, reduced = credit_cells(y)
        rows.append([f"{y['year']}{'*' if y['projected'] else ''}", exercise_cell(y), money(y["price"], cents=True),
                     money(y["iso_spread"] + y["nso_income"]), money(y["amt"]), money(y["regular_tax"]),
                     money(y["strike_cash"]), money(y["credit_used"]), money(made),
                     *([money(reduced)] if reduced_note else []), qual])
    out.append(table(["year", "exercise (shares)", "price", "spread", "AMT", "regular tax", "strike cash",
                      "credit used", "credit made", *(["credit reduced"] if reduced_note else []), "qualifies"],
                     rows, align="llrrrrrrr" + ("r" if reduced_note else "") + "l"))
    out.append("* projected tax law")
    out += reduced_note
    if rec.get("policy"):
        from isoplan.planning.risk_objective import SCHEDULE_ONLY

        if rec["policy"] != SCHEDULE_ONLY:
            out.append(f"Policy: {rec['policy']}.")
    if "california" in rec:
        ca_rows = [[str(y["year"]), money(y["california"]["tax"]), money(y["california"]["amt"]),
                    money(y["california"]["credit_used"]), money(y["california"]["credit_created"])]
                   for y in rec["years"]]
        out += ["", "California (Form 540, Schedule P, FTB 3510), same schedule",
                table(["year", "CA tax", "CA AMT", "CA credit used", "CA credit made"], ca_rows)]
    out += ["", "Compared on the same assumptions (after-tax value at the exit, discounted if set)"]
    ca = "california" in rec

    def amt_text(s: Mapping[str, Any]) -> str:
        return money(s["total_amt"]) + (f" + CA {money(s['california']['total_amt'])}" if ca else "")

    rows = [[rec["name"], money(rec["after_tax_value"]), amt_text(rec), "yes", "-"]]
    for b in data["baselines"]:
        rows.append([b["name"], money(b["after_tax_value"]), amt_text(b),
                     "yes" if b["feasible"] else "NO (cash or AMT limit)", money(b["advantage_of_plan"])])
    out.append(table(["strategy", "after-tax value", "total AMT", "fits the limits", "plan's advantage"], rows))
    if data.get("objective") == "risk":
        out += risk_lines(data)
    if data["catches"]:
        out += ["", "The catches of staging"] + [f"- {c}" for c in data["catches"]]
    if data["notes"]:
        out += ["", "Notes"] + [f"- {n}" for n in data["notes"]]
    out.append("")
    due = [(y["year"], y["estimated_tax"]) for y in rec["years"] if y.get("estimated_tax")]
    if due:
        if out and out[-1]:
            out.append("")
        out += ["Estimated tax (IRC §6654): to stay in the safe harbor, pay what each exercise adds by the next "
                "installment (not needed when last year's tax, 100% or 110% of it, already sets the payment)"]
        out += [f"- {year}: {money(e['amount'])} by {e['due_date']}" + (f" (installment {e['installment']})"
                if e["installment"] else "") for year, e in due]
        out.append("")
    out.append("A planning estimate, not tax advice.")
    return "\n".join(out)



def risk_lines(data: Mapping[str, Any]) -> list[str]:
    """The risk objective's comparison: certainty equivalents over the price paths, the tax choice beside it."""
    rec, tax, risk = data["recommended"], data["tax_choice"], data["risk_objective"]
    out = ["", f"Decided on risk: certainty equivalents over {risk['paths']:,} price paths (risk aversion "
           f"{risk['risk_aversion']:g}, the same paths for every strategy)"]

    def row(name: str, s: Mapping[str, Any]) -> list[str]:
        return [name, money(s["certainty_equivalent"]), money(s["mean"]), money(s["percentile_5"]),
                f"{s['prob_amt_on_vanished_gain']:.0%}", money(s["largest_cash_at_risk"])]

    rows = [row(rec["name"] + " (recommended)", rec), row(tax["name"] + " (tax objective)", tax)]
    rows += [row(b["name"], b) for b in data["baselines"] if "certainty_equivalent" in b]
    rows += [row(p["name"], p) for p in risk.get("policies", []) if p["name"] != rec["name"]]
    out.append(table(["strategy", "certainty equiv.", "mean", "5th percentile", "AMT on vanished gain",
                      "cash at risk (p95)"], rows))
    out.append(f"- The tax objective's choice ({tax['schedule']}) costs {money(tax['price_of_risk'])} of certainty "
               "equivalent: the price of its risk.")
    out += [f"- {line}" for line in rec.get("why", [])]
    if risk.get("floor_note"):
        out.append(f"- {risk['floor_note']}")
    if risk.get("tie"):
        out.append(f"- {risk['tie']}")
    out.append(f"- {risk['liquidity']}")
    out += [f"- {b['name']}: {b['explanation']}" for b in data["baselines"] if b.get("explanation")]
    if risk.get("sensitivity_summary"):
        out.append(f"- {risk['sensitivity_summary']}")
    return out
