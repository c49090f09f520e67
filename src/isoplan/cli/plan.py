"""``isoplan plan``: the staging plan."""

from __future__ import annotations

import argparse
from typing import Any

from isoplan.cli.common import _print_json, _progress
from isoplan.cli.tax import render_tax, tax_json
from isoplan.errors import InputError


def add_plan_parser(sub: Any) -> None:
    """Register ``isoplan plan``."""
    p = sub.add_parser("plan", help="stage a grant across years: the optimized schedule and the baselines",
                       description="Optimize when to exercise each grant (each January by default), compare with "
                       "the usual strategies, and show the per-year tax table. Plan files: docs/plan-file.md.")
    p.add_argument("plan_file", metavar="PLAN.toml")
    p.add_argument("--json", action="store_true", help="machine-readable output (baselines under 'baselines')")
    p.add_argument("--ledger", nargs="?", const="", metavar="DB",
                   help="take the grants from the ledger (default ledger, or the given file) instead of the plan")
    p.add_argument("--grid", type=int, metavar="N", help="share-grid steps per grant (default: automatic)")
    p.add_argument("--explain", action="store_true",
                   help="every year's Form 1040 / 6251 / 8801 lines for the recommended schedule")
    p.add_argument("--inflation", type=float, metavar="RATE", help="assumed inflation for projected years")
    p.add_argument("--today", metavar="YYYY-MM-DD", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_plan)


def load_plan(path: str, args: argparse.Namespace) -> Any:
    """Read and validate a plan file (errors name the file and the key)."""
    import dataclasses
    import datetime
    import tomllib

    from isoplan.planning.plan import parse_plan

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as err:
        raise InputError("plan file", path, f"a readable TOML file ({err.strerror})") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError("TOML", str(err), "valid TOML", source=path) from None
    today = datetime.date.fromisoformat(args.today) if getattr(args, "today", None) else datetime.date.today()
    if getattr(args, "ledger", None) is not None:
        data = dict(data)
        data.setdefault("grants", [{"id": "placeholder", "grant_date": "2020-01-01", "shares": 1, "strike": 0}])
    plan = parse_plan(data, path, today=today)
    changes: dict[str, Any] = {}
    if getattr(args, "ledger", None) is not None:
        from isoplan.ledger.paths import resolve
        from isoplan.ledger.store import Ledger

        book = Ledger.open(resolve(args.ledger or None))
        grants = tuple(book.grants())
        if not grants:
            raise InputError("--ledger", args.ledger or "default ledger", "a ledger with at least one grant")
        changes["grants"] = grants
    if getattr(args, "grid", None) is not None:
        if not 1 <= args.grid <= 400:
            raise InputError("--grid", args.grid, "a whole number from 1 to 400")
        changes["grid_steps"] = args.grid
    if getattr(args, "inflation", None) is not None:
        changes["inflation"] = args.inflation
    return dataclasses.replace(plan, **changes) if changes else plan


def cmd_plan(args: argparse.Namespace) -> int:
    from isoplan.planning.staging import run_plan
    from isoplan.tax.law import law_table

    plan = load_plan(args.plan_file, args)
    law = law_table(plan.inflation)
    outcome = run_plan(plan, law, progress=_progress())
    data = outcome.as_dict()
    explained = []
    if args.explain:
        from isoplan.tax.federal import compute_federal

        for t, _year in enumerate(outcome.model.years):
            h = outcome.year_household(outcome.recommended, t)
            explained.append((h, compute_federal(h, law)))
    if args.json:
        if explained:
            data["explain"] = [tax_json(h, r, law, explain=True) for h, r in explained]
        _print_json(data)
    else:
        print(render_plan(data))
        for h, r in explained:
            print()
            print(render_tax(h, r, law, explain=True))
    return 0


def render_plan(data: dict[str, Any]) -> str:
    from isoplan.report.text import money, table

    rec = data["recommended"]
    out = [f"Plan: {data['plan']}",
           f"Exit: everything sold {data['exit']['date']} at ${data['exit']['price']:,.2f} a share (assumed)",
           "Blocks: " + "; ".join(f"{b['block']} {b['shares']:,} sh @ ${b['strike']:,.2f}" for b in data["blocks"]),
           "", f"Recommended schedule ({rec['name']})"]
    rows = []
    for y in rec["years"]:
        shares = ", ".join(f"{v:,} {k}" for k, v in y["shares"].items()) or "-"
        qual = ", ".join(sorted(set(y["qualifying_dates"].values()))) or "-"
        rows.append([f"{y['year']}{'*' if y['projected'] else ''}", shares, f"${y['price']:,.2f}",
                     money(y["iso_spread"] + y["nso_income"]), money(y["amt"]), money(y["regular_tax"]),
                     money(y["strike_cash"]), money(y["credit_used"]), money(y["credit_created"]), qual])
    out.append(table(["year", "exercise (shares)", "price", "spread", "AMT", "regular tax", "strike cash",
                      "credit used", "credit made", "qualifies"], rows, align="llrrrrrrrl"))
    out.append("* projected tax law")
    if "california" in rec:
        ca_rows = [[str(y["year"]), money(y["california"]["tax"]), money(y["california"]["amt"]),
                    money(y["california"]["credit_used"]), money(y["california"]["credit_created"])]
                   for y in rec["years"]]
        out += ["", "California (Form 540, Schedule P, FTB 3510), same schedule",
                table(["year", "CA tax", "CA AMT", "CA credit used", "CA credit made"], ca_rows)]
    out += ["", "Compared on the same assumptions (after-tax value at the exit, discounted if set)"]
    ca = "california" in rec

    def amt_text(s: dict[str, Any]) -> str:
        return money(s["total_amt"]) + (f" + CA {money(s['california']['total_amt'])}" if ca else "")

    rows = [[rec["name"], money(rec["after_tax_value"]), amt_text(rec), "yes", "-"]]
    for b in data["baselines"]:
        rows.append([b["name"], money(b["after_tax_value"]), amt_text(b),
                     "yes" if b["feasible"] else "NO (cash or AMT limit)", money(b["advantage_of_plan"])])
    out.append(table(["strategy", "after-tax value", "total AMT", "fits the limits", "plan's advantage"], rows))
    if data["catches"]:
        out += ["", "The catches of staging"] + [f"- {c}" for c in data["catches"]]
    if data["notes"]:
        out += ["", "Notes"] + [f"- {n}" for n in data["notes"]]
    out.append("")
    out.append("A planning estimate, not tax advice.")
    return "\n".join(out)

