"""The risk report as text (``isoplan risk``): the price fan, timing, hold vs sell, the peak, pre-IPO, and each
section's California part for a plan whose state is CA."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from isoplan.report.answer import risk_answer
from isoplan.report.plan_text import Record, as_data
from isoplan.report.text import money, table


def render_risk(record: Record | Mapping[str, Any]) -> str:
    """The text report of ``isoplan risk``: the verdict first, then each section, then the assumptions."""
    data = as_data(record)
    a = data["assumptions"]
    out = [str(data.get("answer") or risk_answer(data))]
    fan = data["fan"]
    if fan["dates"]:
        idx = sorted({0, len(fan["dates"]) // 2, len(fan["dates"]) - 1})
        rows = [[fan["dates"][i], *(f"${fan['percentiles'][p][i]:,.2f}" for p in ("5", "25", "50", "75", "95"))]
                for i in idx]
        out += ["", "Share value (percentiles across the paths)",
                table(["date", "5th", "25th", "median", "75th", "95th"], rows, align="lrrrrr")]
    t = data.get("timing")
    if t:
        rows = [["January (may sell before Dec 31)" if t["hatch_exists"] else "January (cannot sell: no buyer)",
                 money(t["january"]["expected_tax"]), f"{t['january']['prob_amt_on_vanished_gain']:.1%}",
                 money(t["january"]["expected_amt_on_vanished_gain"])],
                ["January, held past Dec 31", money(t["january_without_hatch"]["expected_tax"]),
                 f"{t['january_without_hatch']['prob_amt_on_vanished_gain']:.1%}",
                 money(t["january_without_hatch"]["expected_amt_on_vanished_gain"])],
                ["December", money(t["december"]["expected_tax"]), f"{t['december']['prob_amt_on_vanished_gain']:.1%}",
                 money(t["december"]["expected_amt_on_vanished_gain"])]]
        out += ["", f"Timing: January vs December, {t['shares']:,} ISO shares in {t['year']}",
                table(["exercise", "expected extra tax", "P(AMT on a vanished gain)", "expected such AMT"], rows),
                f"Escape hatch value: {money(t['escape_hatch_value'])}" + ("" if t["hatch_exists"]
                                                                            else " (the hatch does not exist)"),
                f"Rule: {t['threshold_rule']}", t["summary"]]
        out += _risk_california_lines("timing", t)
    h = data.get("hold_vs_sell")
    if h:
        rows = [[s["name"], money(s["mean"]), money(s["median"]), money(s["p5"]), money(s["p95"]),
                 f"{s['prob_worse_than_sell_now']:.1%}", money(s["certainty_equivalent"]), f"{s['concentration']:.0%}"]
                for s in h["strategies"]]
        c = h["cash_test"]
        out += ["", f"Hold vs sell: {h['shares']:,} shares exercised {h['exercise_date']}, after-tax dollars at "
                f"{h['horizon']}",
                table(["strategy", "mean", "median", "5th pct", "95th pct", "P(worse than selling)",
                       f"certainty equiv. (RRA {h['risk_aversion']:g})", "concentration"], rows),
                f"Cash test: strike {money(c['strike'])} + tax {money(c['tax'])} (AMT {money(c['amt'])}) against "
                f"{money(c['cash'])} ({c['cash_source']}): " + ("covered" if c["covered"] else
                                                                f"short by {money(c['gap'])}"),
                h["conclusion"]]
        out += _risk_california_lines("hold_vs_sell", h)
    pk = data.get("peak")
    if pk:
        out += ["", "The peak and the stress test", pk["summary"]]
        out += _risk_california_lines("peak", pk)
    pre = data.get("pre_ipo")
    if pre:
        now, wait = pre["exercise_now"], pre["wait_for_event"]
        rows = [["exercise now", money(now["cash_at_risk"]), money(now["mean"]), money(now["p5"]), money(now["p95"]),
                 f"{now['prob_sale_qualifies']:.0%}"],
                ["wait for the event", money(0.0), money(wait["mean"]), money(wait["p5"]), money(wait["p95"]), "0%"]]
        out += ["", f"Pre-IPO: exercise {now['shares']:,} shares on {now['date']} at the 409A value "
                f"${now['price_409a']:,.2f}, or wait for the liquidity event",
                table(["choice", "cash at risk now", "mean after tax", "5th pct", "95th pct", "sale qualifies"], rows),
                f"P(cash lost): {pre['prob_cash_lost']:.1%}", pre["summary"]]
        out += _risk_california_lines("pre_ipo", pre)
    out += ["", f"Risk: {data['paths']:,} price paths (seed {data['seed']}), {data['stock_kind']} stock, "
                f"drift {a['drift']:.1%} a year ({a['drift_source']}), volatility {a['volatility']:.0%} "
                f"({a['volatility_source']}), {a['steps']} steps"]
    if data["notes"]:
        out += ["", "Notes"] + [f"- {n}" for n in data["notes"]]
    out += ["", "A planning estimate, not tax advice."]
    return "\n".join(out)


def _risk_california_lines(section: str, data: Mapping[str, Any]) -> list[str]:
    """The California part of a risk section (the figures above include it), for a plan whose state is CA."""
    ca = data.get("california")
    if not ca:
        return []
    if section == "timing":
        parts = [f"{label} {money(ca[key]['expected_tax'])} (AMT on a vanished gain: federal "
                 f"{money(ca[key]['federal_expected_amt_on_vanished_gain'])}, California "
                 f"{money(ca[key]['expected_amt_on_vanished_gain'])})"
                 for label, key in (("January", "january"), ("held past Dec 31", "january_without_hatch"),
                                    ("December", "december"))]
        return ["California's part of the expected extra tax: " + "; ".join(parts) + "."]
    if section == "hold_vs_sell":
        c = ca["cash_test"]
        taxes = ", ".join(f"{s['name']} {money(s['expected_tax'])}" for s in ca["strategies"])
        return [f"California's part: expected extra tax {taxes}; cash test tax {money(c['tax'])} "
                f"(California AMT {money(c['amt'])})."]
    if section == "peak":
        return [f"AMT now: federal {money(ca['federal_amt_now'])} + California {money(ca['amt_now'])}; "
                f"California tax {money(ca['tax_now'])} of the tax in all."]
    return [f"Exercise now: AMT federal {money(ca['federal_amt_now'])} + California {money(ca['amt_now'])}, "
            f"California tax {money(ca['tax_now'])} this year; California's expected extra tax: exercise now "
            f"{money(ca['exercise_now_expected_tax'])}, wait {money(ca['wait_expected_tax'])}; FTB 3510 credit left "
            f"(mean) {money(ca['credit_left_mean'])}."]

