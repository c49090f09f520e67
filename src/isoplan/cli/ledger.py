"""``isoplan ledger``: grants, lots, sales and the credit across years."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from isoplan.cli.common import _FLAG_ALIASES, _law, _other_state_note, _Parser, _print_json
from isoplan.errors import InputError


def add_ledger_parser(sub: Any) -> None:
    """Register ``isoplan ledger`` and its subcommands."""
    from isoplan.tax.fields import CA_MONEY_FIELDS, COUNT_FIELDS, MONEY_FIELDS  # no NumPy: keeps --help fast

    ledger = sub.add_parser(
        "ledger", help="record grants, exercises and sales; the AMT credit across years",
        description="A local ledger (SQLite) of option grants, exercised lots with both cost bases, sales and "
        "yearly income, with every year's tax and the minimum tax credit carried (Form 8801). "
        "File: --db, else $ISOPLAN_DB, else $XDG_DATA_HOME/isoplan/ledger.db (~/.local/share/isoplan/ledger.db).",
    )
    ledger.add_argument("--db", metavar="PATH", help="the ledger file")
    cmds = ledger.add_subparsers(dest="ledger_command", metavar="SUBCOMMAND", parser_class=_Parser)
    ledger.set_defaults(func=lambda args: (ledger.print_help(), 0)[1])

    def command(name: str, func: Callable[[argparse.Namespace], int], help_text: str, *,
                reports: bool = True) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="the ledger file")
        if reports:
            p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=func)
        return p

    command("init", cmd_ledger_init, "create the ledger file (or bring its schema up to date)")

    p = command("add-grant", cmd_ledger_add_grant, "record an option grant and its vesting schedule")
    p.add_argument("id", help="a name for the grant, e.g. 2024-hire")
    p.add_argument("--company", required=True, help="the employer (the $100,000 limit is per employer group)")
    p.add_argument("--kind", required=True, type=str.lower, choices=["iso", "nso"])
    p.add_argument("--date", required=True, help="grant date, YYYY-MM-DD")
    p.add_argument("--shares", required=True, help="number of shares granted")
    p.add_argument("--strike", required=True, metavar="USD", help="exercise price per share")
    p.add_argument("--fmv", metavar="USD", help="fair market value per share at grant (default: the strike)")
    p.add_argument("--expires", metavar="DATE", help="expiration date (default: 10 years after grant)")
    vest = p.add_argument_group("vesting (default: 48 months, 12-month cliff, monthly, from the grant date)")
    vest.add_argument("--vest-start", metavar="DATE", help="vesting commencement date (default: grant date)")
    vest.add_argument("--vest-months", type=int, default=48, metavar="N", help="months until fully vested")
    vest.add_argument("--cliff-months", type=int, default=12, metavar="N", help="months to the cliff (0: none)")
    vest.add_argument("--every", default="monthly", help="monthly, quarterly, or a number of months")
    vest.add_argument("--tranche", action="append", metavar="DATE:SHARES",
                      help="an explicit tranche (repeat); replaces the schedule flags")
    vest.add_argument("--vested", action="store_true", help="fully vested at grant")
    p.add_argument("--early-exercise", action="store_true", help="the plan allows exercising unvested shares")
    window = p.add_mutually_exclusive_group()
    window.add_argument("--post-termination-months", type=int, metavar="N",
                        help="the plan's exercise window after employment ends (default 3 months)")
    window.add_argument("--post-termination-days", type=int, metavar="N", help="the same window in days")

    p = command("vest-schedule", cmd_ledger_vest_schedule,
                "each tranche's vesting date and its ISO / NSO shares under the §422(d) $100,000 limit, with why")
    p.add_argument("grant", nargs="?", help="one grant (default: all)")

    p = command("exercise", cmd_ledger_exercise, "record an exercise: one lot per kind and vesting date")
    p.add_argument("id", help="a name for the lot, e.g. 2026-03-ex")
    p.add_argument("--grant", required=True, help="the grant exercised")
    p.add_argument("--date", required=True, help="exercise date, YYYY-MM-DD")
    p.add_argument("--shares", required=True, help="number of shares")
    p.add_argument("--fmv", required=True, metavar="USD", help="fair market value per share at exercise (3921 box 4)")
    p.add_argument("--kind", default="auto", type=str.lower, choices=["auto", "iso", "nso"],
                   help="which shares to take (default: ISO shares first)")
    p.add_argument("--83b", dest="election_83b", metavar="DATE",
                   help="date of an §83(b) election for unvested shares (within 30 days)")
    p.add_argument("--fmv-at-vesting", metavar="USD", help="FMV when the unvested shares vest, if known")
    p.add_argument("--terminated", metavar="DATE", help="last day of employment, if it ended before the exercise")
    p.add_argument("--termination-reason", default="left", choices=["left", "disability", "death"])

    p = command("vesting-fmv", cmd_ledger_vesting_fmv, "enter the vesting-date FMV of an early-exercised lot")
    p.add_argument("lot")
    p.add_argument("fmv", metavar="USD")

    p = command("sell", cmd_ledger_sell, "record a sale (one lot, or first in first out)")
    p.add_argument("id", help="a name for the sale")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--lot", help="sell from this lot (specific identification)")
    which.add_argument("--grant", help="first in, first out among this grant's lots")
    p.add_argument("--date", required=True, help="sale date, YYYY-MM-DD")
    p.add_argument("--shares", required=True)
    p.add_argument("--price", required=True, metavar="USD", help="price per share")
    p.add_argument("--wash-sale", "--related-party", dest="wash_sale", action="store_true",
                   help="a wash sale or a sale to a related party: the §422(c)(2) cap does not apply")

    p = command("income", cmd_ledger_income, "set a year's filing status and income (the tax engine's inputs)")
    p.add_argument("year", type=int)
    p.add_argument(*_FLAG_ALIASES["filing_status"], dest="filing_status", help="single, mfj, mfs, hoh or qss")
    group = p.add_argument_group("amounts in dollars (only the ones given change)")
    for name, _, help_text in MONEY_FIELDS:
        flags = _FLAG_ALIASES.get(name, ["--" + name.replace("_", "-")])
        group.add_argument(*flags, dest=name, metavar="USD", help=help_text)
    for name, help_text in COUNT_FIELDS:
        group.add_argument("--" + name.replace("_", "-"), dest=name, metavar="N", help=help_text)
    state = p.add_argument_group("state (only California is modeled)")
    state.add_argument("--state", metavar="XX",
                       help="the year's state of residence; CA adds the California return, AMT (Schedule P) and "
                       "its credit (FTB 3510) to `ledger years`; none: federal only")
    for name, help_text in CA_MONEY_FIELDS:
        first = "; in the ledger's first California year: carried in from before the ledger" \
            if name == "ca_amt_credit_carryforward" else ""
        state.add_argument(*_LEDGER_CA_FLAGS[name], dest=name, metavar="USD",
                           help=help_text + first + " (a CA year only)")
    p.add_argument("--clear", action="store_true", help="drop the year's other amounts first")

    command("grants", cmd_ledger_grants, "list the grants")
    command("lots", cmd_ledger_lots, "list the lots: both bases, the AMT adjustment, the qualifying date")
    command("sales", cmd_ledger_sales, "list the sales and their tax results")

    p = command("years", cmd_ledger_years,
                "each year's tax with the ledger's items: regular tax, TMT, AMT, credit created/used/carried")
    p.add_argument("--explain", action="store_true", help="Form 8801 and the option lines, year by year")
    p.add_argument("--inflation", type=float, metavar="RATE", help="assumed yearly inflation for projected years")
    p.add_argument("--deduction", choices=["auto", "standard", "itemized"], default="auto")

    p = command("export", cmd_ledger_export, "write everything as JSON (stdout or --out) and CSV (--csv)",
                reports=False)
    p.add_argument("--out", metavar="FILE.json", help="where the JSON goes (default: stdout)")
    p.add_argument("--csv", metavar="DIR", help="also write grants/vesting/lots/sales/income CSVs here")

    p = command("import", cmd_ledger_import, "load an export (JSON file or CSV folder), all or nothing")
    p.add_argument("file", metavar="FILE", help="a JSON export, or a folder of CSVs from `export --csv`")

    p = command("import-3921", cmd_ledger_import_3921,
                "load Form 3921 exercises from a CSV (boxes 1-5 and company), all or nothing")
    p.add_argument("file", metavar="FILE.csv")

    p = command("calendar", cmd_ledger_calendar,
                "write an iCalendar file: qualifying dates, year-end decisions, AMT due dates", reports=False)
    p.add_argument("--out", metavar="FILE.ics", default="isoplan.ics", help="where to write (default isoplan.ics)")
    p.add_argument("--through", type=int, metavar="YEAR", help="last year of year-end reminders")


def _ledger(args: argparse.Namespace, *, create: bool = False) -> Any:
    from isoplan.ledger.paths import resolve
    from isoplan.ledger.store import Ledger

    return Ledger.open(resolve(getattr(args, "db", None)), create=create)


def _dec(value: Any, name: str, *, minimum: Any = 0) -> Any:
    from decimal import Decimal

    from isoplan.equity.records import to_decimal

    return to_decimal(value, name, minimum=None if minimum is None else Decimal(minimum))


def _date(value: Any, name: str) -> Any:
    from isoplan.equity.records import to_date

    return None if value is None else to_date(value, name)


def _plain(value: Any) -> Any:
    """JSON-ready: Decimal as exact text, dates as YYYY-MM-DD."""
    from datetime import date
    from decimal import Decimal

    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def cmd_ledger_init(args: argparse.Namespace) -> int:
    with _ledger(args, create=True) as book:
        info = {"path": str(book.path), "schema_version": book.schema_version()}
    if args.json:
        _print_json(info)
    else:
        print(f"ledger ready at {info['path']} (schema version {info['schema_version']})")
    return 0


def _vesting_from_args(args: argparse.Namespace, shares: int, grant_date: Any) -> tuple[Any, str]:
    from isoplan.equity.records import VestingTranche, to_shares, vesting_schedule

    if args.vested:
        return (VestingTranche(grant_date, shares),), "vested at grant"
    if args.tranche:
        tranches = []
        for text in args.tranche:
            day, sep, count = text.partition(":")
            if not sep:
                raise InputError("--tranche", text, "DATE:SHARES, e.g. 2026-01-15:1000")
            tranches.append(VestingTranche(_date(day, "--tranche date"), to_shares(count, "--tranche shares")))
        tranches.sort(key=lambda t: t.date)
        return tuple(tranches), "explicit tranches"
    every = {"monthly": 1, "quarterly": 3}.get(args.every.lower()) if not args.every.isdigit() else int(args.every)
    if every is None:
        raise InputError("--every", args.every, "monthly, quarterly or a number of months")
    start = _date(args.vest_start, "--vest-start") or grant_date
    tranches = vesting_schedule(shares, start, months=args.vest_months, cliff_months=args.cliff_months,
                                every_months=every)
    rule = (f"{args.vest_months} months from {start.isoformat()}, {args.cliff_months}-month cliff, "
            f"every {every} month(s)")
    return tranches, rule


def cmd_ledger_add_grant(args: argparse.Namespace) -> int:
    from isoplan.equity.dates import add_months
    from isoplan.equity.records import Grant, to_kind, to_shares
    from isoplan.equity.rules import equity_rules

    grant_date = _date(args.date, "--date")
    shares = to_shares(args.shares, "--shares")
    strike = _dec(args.strike, "--strike")
    fmv = _dec(args.fmv, "--fmv") if args.fmv is not None else strike
    expires = _date(args.expires, "--expires") or add_months(grant_date, 12 * equity_rules().iso_maximum_term_years)
    tranches, rule = _vesting_from_args(args, shares, grant_date)
    grant = Grant(id=args.id, company=args.company.strip(), kind=to_kind(args.kind), grant_date=grant_date,
                  shares=shares, strike=strike, fmv_at_grant=fmv, vesting=tranches, expiration_date=expires,
                  early_exercise_allowed=args.early_exercise, post_termination_months=args.post_termination_months,
                  post_termination_days=args.post_termination_days)
    with _ledger(args, create=True) as book:
        book.add_grant(grant, vesting_rule=rule)
        return _show_vest_schedule(book, args, grant.id, headline=f"grant {grant.id} recorded ({rule})")


def cmd_ledger_vest_schedule(args: argparse.Namespace) -> int:
    with _ledger(args) as book:
        return _show_vest_schedule(book, args, args.grant)


def _show_vest_schedule(book: Any, args: argparse.Namespace, grant_id: str | None, headline: str = "") -> int:
    from isoplan.equity.iso_limit import iso_nso_split
    from isoplan.report.text import table

    grants = book.grants()
    if grant_id is not None and grant_id not in {g.id for g in grants}:
        raise InputError("grant", grant_id, "the id of a grant in the ledger (see `isoplan ledger grants`)")
    splits = [s for s in iso_nso_split(grants, book.rules) if grant_id is None or s.grant_id == grant_id]
    if args.json:
        _print_json([_plain(s.__dict__ | {"room_before": None if s.room_before != s.room_before else s.room_before})
                     for s in splits])
        return 0
    rows = [[s.grant_id, s.vest_date.isoformat(), str(s.year), f"{s.shares:,}", f"{s.iso_shares:,}",
             f"{s.nso_shares:,}", s.reason] for s in splits]
    if headline:
        print(headline)
    print(table(["grant", "vests", "1st exercisable", "shares", "ISO", "NSO", "why (IRC §422(d))"], rows,
                align="llrrrrl"))
    return 0


def cmd_ledger_exercise(args: argparse.Namespace) -> int:
    from isoplan.equity.records import to_shares

    with _ledger(args) as book:
        lots = book.exercise(
            grant_id=args.grant, lot_id=args.id, exercise_date=_date(args.date, "--date"),
            shares=to_shares(args.shares, "--shares"), fmv_at_exercise=_dec(args.fmv, "--fmv"), kind=args.kind,
            election_83b_date=_date(args.election_83b, "--83b"),
            fmv_at_vesting=_dec(args.fmv_at_vesting, "--fmv-at-vesting") if args.fmv_at_vesting else None,
            termination_date=_date(args.terminated, "--terminated"), termination_reason=args.termination_reason,
        )
        return _show_lots(args, lots, book.held(), headline=f"exercise {args.id} recorded: {len(lots)} lot(s)")


def cmd_ledger_vesting_fmv(args: argparse.Namespace) -> int:
    with _ledger(args) as book:
        lot = book.set_vesting_fmv(args.lot, _dec(args.fmv, "fmv"))
        return _show_lots(args, [lot], book.held(), headline=f"lot {lot.id}: vesting-date FMV recorded")


def _lot_json(lot: Any, held: int) -> dict[str, Any]:
    return _plain({
        "id": lot.id, "grant_id": lot.grant_id, "company": lot.company, "kind": lot.kind,
        "kind_reason": lot.kind_reason, "grant_date": lot.grant_date, "exercise_date": lot.exercise_date,
        "shares": lot.shares, "held": held, "strike": lot.strike, "fmv_at_exercise": lot.fmv_at_exercise,
        "vesting_date": lot.vesting_date, "fmv_at_vesting": lot.fmv_at_vesting,
        "election_83b_date": lot.election_83b_date, "regular_basis": lot.regular_basis, "amt_basis": lot.amt_basis,
        "amt_adjustment": lot.amt_adjustment, "amt_adjustment_year": lot.amt_adjustment_year,
        "nso_ordinary_income": lot.nso_ordinary_income, "nso_income_year": lot.nso_income_year,
        "qualifying_date": lot.qualifying_date, "long_term_date": lot.long_term_date,
        "vesting_fmv_missing": lot.vesting_fmv_missing,
    })


def _show_lots(args: argparse.Namespace, lots: Sequence[Any], held: dict[str, int], headline: str = "") -> int:
    from isoplan.report.text import money, table

    if args.json:
        _print_json([_lot_json(lot, held.get(lot.id, lot.shares)) for lot in lots])
        return 0
    rows = []
    for lot in lots:
        adj = money(float(lot.amt_adjustment)) + f" ({lot.amt_adjustment_year})" if lot.kind == "ISO" else \
            "NSO income " + money(float(lot.nso_ordinary_income)) + f" ({lot.nso_income_year})"
        vest = "" if lot.vested_at_exercise else f" vests {lot.vesting_date.isoformat()}"
        rows.append([lot.id, lot.grant_id, lot.kind, lot.exercise_date.isoformat() + vest, f"{lot.shares:,}",
                     f"{held.get(lot.id, lot.shares):,}", money(float(lot.regular_basis), cents=True),
                     money(float(lot.amt_basis), cents=True), adj + (" *" if lot.vesting_fmv_missing else ""),
                     lot.qualifying_date.isoformat() if lot.qualifying_date else "-"])
    if headline:
        print(headline)
    print(table(["lot", "grant", "kind", "exercised", "shares", "held", "regular basis", "AMT basis",
                 "AMT adjustment (year)", "qualifies on"], rows, align="lllrrrrrrl"))
    if any(lot.vesting_fmv_missing for lot in lots):
        print("* vesting-date FMV not entered: the exercise-date FMV stands in (`isoplan ledger vesting-fmv`)")
    reasons = sorted({f"{lot.id}: {lot.kind_reason}" for lot in lots if lot.kind_reason})
    if headline and reasons:
        print(*reasons, sep="\n")
    return 0


def cmd_ledger_sell(args: argparse.Namespace) -> int:
    from isoplan.equity.records import to_shares

    with _ledger(args) as book:
        sales = book.sell(sale_id=args.id, sale_date=_date(args.date, "--date"), shares=to_shares(args.shares),
                          price=_dec(args.price, "--price"), lot_id=args.lot, grant_id=args.grant,
                          wash_sale_or_related_party=args.wash_sale)
        lots = {lot.id: lot for lot in book.lots()}
        return _show_sales(args, sales, lots, headline=f"sale {args.id} recorded: {len(sales)} lot(s)")


def _show_sales(args: argparse.Namespace, sales: Sequence[Any], lots: dict[str, Any], headline: str = "") -> int:
    from isoplan.equity.disposition import dispose
    from isoplan.report.text import money, table

    results = [dispose(lots[s.lot_id], s) for s in sales]
    if args.json:
        _print_json([_plain(s.__dict__) | {"tax": d.__dict__} for s, d in zip(sales, results, strict=True)])
        return 0
    rows = []
    for s, d in zip(sales, results, strict=True):
        kind = "qualifying" if d.qualifying else ("NSO" if d.kind == "NSO" else "disqualifying")
        rows.append([s.id, s.lot_id, s.date.isoformat(), f"{s.shares:,}", money(float(s.price), cents=True), kind,
                     money(d.regular_ordinary_income), money(d.regular_short_term_gain),
                     money(d.regular_long_term_gain), money(d.amt_short_term_gain + d.amt_long_term_gain),
                     money(d.line2k), money(d.line2i_same_year)])
    if headline:
        print(headline)
    print(table(["sale", "lot", "date", "shares", "price", "disposition", "ordinary", "short-term", "long-term",
                 "AMT gain", "6251 2k", "2i undone"], rows, align="lllrrlrrrrrr"))
    if headline:
        print(*(f"{d.sale_id}: {d.explanation}" for d in results), sep="\n")
    return 0


def cmd_ledger_income(args: argparse.Namespace) -> int:
    from isoplan.report.text import money, table
    from isoplan.tax.fields import CA_MONEY_FIELDS, COUNT_FIELDS, MONEY_FIELDS

    names = [n for n, _, _ in MONEY_FIELDS] + [n for n, _ in COUNT_FIELDS] + [n for n, _ in CA_MONEY_FIELDS]
    amounts = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    with _ledger(args, create=True) as book:
        status, entry = book.set_income(args.year, args.filing_status, amounts, clear=args.clear,
                                        state=getattr(args, "state", None))
        state = book.states()[args.year]
    if args.json:
        _print_json({"year": args.year, "filing_status": status, "income": _plain(entry), "state": state})
        return 0
    rows = [[name, money(float(value), cents=True)] for name, value in entry.items()]
    print(f"{args.year}, {status}" + (f", {state}" if state else ""))
    if state and state != "CA":
        print("Note: " + _other_state_note(state))
    print(table(["input", "amount"], rows) if rows else "(no amounts entered)")
    return 0


def cmd_ledger_grants(args: argparse.Namespace) -> int:
    from isoplan.report.text import money, table

    with _ledger(args) as book:
        grants = book.grants()
        meta = {row["id"]: row for row in book.grant_rows()}
        lots = book.lots()
    exercised = {g.id: sum(lot.shares for lot in lots if lot.grant_id == g.id) for g in grants}
    if args.json:
        _print_json([_plain(g.__dict__ | {"vesting": [t.__dict__ for t in g.vesting],
                                          "vesting_rule": meta[g.id]["vesting_rule"], "source": meta[g.id]["source"],
                                          "exercised": exercised[g.id]}) for g in grants])
        return 0
    rows = [[g.id, g.company, g.kind, g.grant_date.isoformat(), f"{g.shares:,}", f"{exercised[g.id]:,}",
             money(float(g.strike), cents=True), money(float(g.fmv_at_grant), cents=True),
             g.expiration_date.isoformat(), "yes" if g.early_exercise_allowed else "no"] for g in grants]
    print(table(["grant", "company", "kind", "granted", "shares", "exercised", "strike", "FMV at grant", "expires",
                 "early exercise"], rows, align="llllrrrrll"))
    return 0


def cmd_ledger_lots(args: argparse.Namespace) -> int:
    with _ledger(args) as book:
        return _show_lots(args, book.lots(), book.held())


def cmd_ledger_sales(args: argparse.Namespace) -> int:
    with _ledger(args) as book:
        return _show_sales(args, book.sales(), {lot.id: lot for lot in book.lots()})


#: The flags of a ledger year's California inputs (isoplan.tax.fields.CA_MONEY_FIELDS), as `isoplan tax` has them.
_LEDGER_CA_FLAGS = {"property_tax": ["--property-tax"],
                    "ca_amt_credit_carryforward": ["--ca-credit-carryforward", "--ca-amt-credit-carryforward"]}


def cmd_ledger_years(args: argparse.Namespace) -> int:
    from isoplan.ledger.years import ledger_years
    from isoplan.tax.california import ca_law_table

    with _ledger(args) as book:
        rows, notes = ledger_years(book.lots(), book.sales(), book.years(), _law(args), deduction=args.deduction,
                                   states=book.states(), ca_law=ca_law_table(getattr(args, "inflation", None)))
    if args.json:
        _print_json({"years": [_ledger_year_json(r, explain=args.explain) for r in rows], "notes": notes})
        return 0
    print(_render_ledger_years(rows, notes, explain=args.explain))
    return 0


def _ledger_year_json(row: Any, *, explain: bool) -> dict[str, Any]:
    from isoplan.tax.explain import OUTPUTS, explain_row

    out = {
        "year": row.year, "filing_status": row.filing_status, "projected": row.projected,
        "income_entered": row.entered, "inputs": _plain({k: float(v) for k, v in row.inputs.items()}),
        "option_items": {k: v for k, v in row.items.__dict__.items() if k not in ("year", "notes")},
        "outputs": {k: row.outputs[k] for k in OUTPUTS},
        "credit_created": row.credit_created,
        "credit_used": row.form8801["line25"],
        "credit_carried_forward": row.form8801["line26"],
        "notes": row.notes,
    }
    if explain:
        out["form8801"] = row.form8801
        out["lines"] = [r.__dict__ for r in explain_row(row.result, 0)]
    out["state"] = getattr(row, "state", None)
    out["california"] = _ledger_california_json(row, explain=explain) if getattr(row, "california", False) else None
    return out


#: FTB 3510 across years (isoplan.tax.california.ca_credit_years lines): (key, part, caption).
_FTB3510_LINES: tuple[tuple[str, str, str], ...] = (
    ("prior_amt", "Part I", "Prior year's California AMT (Schedule P line 26)"),
    ("prior_net_minimum_tax_on_exclusions", "Part I", "Prior year's net minimum tax on exclusion items"),
    ("credit_from_prior_year", "Part I", "Credit from the prior year's AMT (may be negative)"),
    ("carryover_in", "Part II", "Credit carryover from earlier years"),
    ("credit_available", "Part II", "Credit available"),
    ("credit_limit", "Part II", "Limit: regular tax - exemption credits - TMT"),
    ("credit_used", "Part II", "Credit used this year (Schedule P Part III)"),
    ("carryover_out", "Part II", "Credit carried forward"),
)


def _ledger_california_json(row: Any, *, explain: bool) -> dict[str, Any]:
    """A California year of the ledger: Form 540 / Schedule P (540) outputs and FTB 3510 (issue 9)."""
    from isoplan.tax.california import CA_OUTPUTS, ca_explain_row

    c = row.ca_outputs
    out: dict[str, Any] = {
        "projected": row.ca_projected,
        "inputs": dict(row.ca_inputs),
        "outputs": {k: c[k] for k in CA_OUTPUTS},
        "deduction_kind": "itemized" if c["ca_itemized"] else "standard",
        "credit_created": row.ca_credit_created,
        "credit_used": row.ftb3510["credit_used"],
        "credit_carried_forward": row.ftb3510["carryover_out"],
        "federal_plus_california": row.outputs["total_tax"] + c["ca_total_tax"],
        "notes": row.ca_notes,
    }
    if explain:
        out["ftb3510"] = dict(row.ftb3510)
        out["lines"] = [r.__dict__ for r in ca_explain_row(row.ca_result, 0)]
    return out


def _render_ledger_california(rows: Sequence[Any], *, explain: bool) -> list[str]:
    """The California table under the federal one, for the years whose state is CA; with --explain, line by line."""
    from isoplan.report.text import money, table
    from isoplan.tax.california import ca_explain_row

    ca_rows = [r for r in rows if getattr(r, "california", False)]
    if not ca_rows:
        return []
    body = []
    for r in ca_rows:
        c = r.ca_outputs
        label = f"{r.year}{' (projected)' if r.ca_projected else ''}{'' if r.entered else ' *'}"
        body.append([label, money(c["ca_regular_tax"]), money(c["ca_tentative_minimum_tax"]), money(c["ca_amt"]),
                     money(r.ca_credit_created), money(r.ftb3510["credit_used"]), money(r.ftb3510["carryover_out"]),
                     money(c["ca_total_tax"]), money(r.outputs["total_tax"] + c["ca_total_tax"])])
    parts = ["", "California (Form 540 line 31, Schedule P (540) lines 24 and 26, FTB 3510)",
             table(["year", "regular tax", "TMT", "AMT paid", "credit created", "credit used", "carried forward",
                    "CA total tax", "federal + CA"], body, align="lrrrrrrrr")]
    if explain:
        for r in ca_rows:
            # FTB 3510 comes once, in full, from the year's own lines below
            lines = [[f"{line.form} {line.line}", line.caption, money(line.value)]
                     for line in ca_explain_row(r.ca_result, 0) if line.form != "FTB 3510"]
            lines += [[f"FTB 3510 {part}", caption, money(r.ftb3510[key])] for key, part, caption in _FTB3510_LINES]
            lines.append(["(this year)", "Credit created: California AMT less net minimum tax on exclusion items",
                          money(r.ca_credit_created)])
            parts += ["", f"{r.year}: California, Schedule P (540) and FTB 3510",
                      table(["line", "what", "amount"], lines, align="llr")]
    notes: list[str] = []
    for r in ca_rows:
        notes += [n for n in r.ca_notes if n not in notes]
    parts += [f"Note (California): {n}" for n in notes]
    return parts


def _render_ledger_years(rows: Sequence[Any], notes: Sequence[str], *, explain: bool) -> str:
    from isoplan.report.text import money, table
    from isoplan.tax.form8801 import FORM8801_LINES

    body = []
    for r in rows:
        o = r.outputs
        label = f"{r.year}{' (projected)' if r.projected else ''}{'' if r.entered else ' *'}"
        body.append([label, r.filing_status, money(o["regular_tax"]), money(o["tentative_minimum_tax"]),
                     money(o["amt"]), money(r.credit_created), money(r.form8801["line25"]),
                     money(r.form8801["line26"]), money(o["total_tax"])])
    parts = [table(["year", "status", "regular tax", "TMT", "AMT paid", "credit created", "credit used",
                    "carried forward", "total tax"], body, align="llrrrrrrr")]
    if any(not r.entered for r in rows):
        parts.append("* no income entered for the year")
    if explain:
        for r in rows:
            o = r.outputs
            option_rows = [
                ["Form 6251 2i", "ISO exercise spread held past year end", money(o["amt_line2i"])],
                ["Form 6251 2k", "Disposition: AMT minus regular gain", money(o["amt_line2k"])],
                ["Form 1040 8", "Other ordinary income incl. NSO / disqualifying",
                 money(r.inputs["other_ordinary_income"])],
                ["Schedule D", "Short-term gain (regular)", money(r.inputs["short_term_gain"])],
                ["Schedule D", "Long-term gain (regular)", money(r.inputs["long_term_gain"])],
                ["Form 6251 III", "Long-term gain with AMT basis", money(r.inputs["amt_long_term_gain"])],
            ]
            lines = [[f"Form 8801 {line}", caption, money(r.form8801[key])] for key, line, caption in FORM8801_LINES]
            lines.append(["(this year)", "Credit created: AMT less net minimum tax on exclusion items",
                          money(r.credit_created)])
            parts += ["", f"{r.year}: option items and Form 8801",
                      table(["line", "what", "amount"], option_rows + lines, align="llr")]
            parts += [f"Note: {n}" for n in r.notes]
    elif any(r.notes for r in rows):
        parts += [f"Note ({r.year}): {n}" for r in rows for n in r.notes]
    parts += _render_ledger_california(rows, explain=explain)
    parts += [f"Note: {n}" for n in notes]
    parts.append("A planning estimate, not tax advice.")
    return "\n".join(parts)


def cmd_ledger_export(args: argparse.Namespace) -> int:
    from isoplan.ledger.transfer import write_csv_dir, write_json

    with _ledger(args) as book:
        data = book.export_data()
    text = write_json(data, args.out)
    if args.csv:
        written = write_csv_dir(data, args.csv)
        print(f"wrote {len(written)} CSV files to {args.csv}", file=sys.stderr)
    if not args.out:
        sys.stdout.write(text)
    else:
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def cmd_ledger_import(args: argparse.Namespace) -> int:
    from isoplan.ledger.transfer import read_export

    data = read_export(args.file)
    with _ledger(args, create=True) as book:
        counts = book.import_data(data, args.file)
    if args.json:
        _print_json(counts)
    else:
        print("imported " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


def cmd_ledger_import_3921(args: argparse.Namespace) -> int:
    from isoplan.ledger.transfer import read_form3921_csv

    rows = read_form3921_csv(args.file)
    with _ledger(args, create=True) as book:
        lots = book.import_3921(rows, args.file)
        return _show_lots(args, lots, book.held(), headline=f"imported {len(lots)} Form 3921 exercise(s)")


def cmd_ledger_calendar(args: argparse.Namespace) -> int:
    from datetime import UTC, date, datetime

    from isoplan.equity.rules import equity_rules
    from isoplan.ledger.years import ledger_years
    from isoplan.report.calendar import held_lots, ics, ledger_events

    with _ledger(args) as book:
        lots, sales = book.lots(), book.sales()
        rows, _ = ledger_years(lots, sales, book.years(), _law(args))
    held = held_lots(lots, sales)
    last_qualifying = max((lot.qualifying_date.year for lot in held if lot.qualifying_date), default=0)
    through = args.through or max(date.today().year, last_qualifying)
    events = ledger_events(held, {r.year: r.outputs["amt"] for r in rows}, through_year=through,
                           return_due=equity_rules().return_due)
    with open(args.out, "w", encoding="utf-8", newline="") as handle:
        handle.write(ics(events, stamp=datetime.now(UTC)))
    print(f"wrote {len(events)} events to {args.out}")
    return 0

