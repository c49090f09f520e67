"""``isoplan ledger``: grants, lots, sales and the credit across years.

Parse the flags, call :mod:`isoplan.app.ledger`, render with
:mod:`isoplan.report.ledger_text` (or print the record's JSON). The
application layer is imported inside the commands: it loads NumPy, and
``isoplan ledger --help`` should not.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from isoplan.cli.common import _FLAG_ALIASES, _Parser, _print_json

if TYPE_CHECKING:
    from isoplan.app import ledger as app_ledger
    from isoplan.app.ledger import Labels


def add_ledger_parser(sub: Any) -> None:
    """Register ``isoplan ledger`` and its subcommands."""
    from isoplan.tax.fields import (  # no NumPy: keeps --help fast
        CA_MONEY_FIELDS,
        COUNT_FIELDS,
        MONEY_FIELDS,
        WITHHOLDING_FIELDS,
    )

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
        p: argparse.ArgumentParser = cmds.add_parser(name, help=help_text, description=help_text)
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
    p.add_argument("--good-faith-valuation", action="store_true",
                   help="an ISO priced below --fmv was priced in a good-faith attempt to meet the grant-date FMV "
                   "(IRC §422(c)(1)): keep it as an ISO, flagged (without this, such an ISO is refused)")
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
    paid = p.add_argument_group("tax withheld (payments toward the year's tax, for `ledger estimates`)")
    for name, help_text in WITHHOLDING_FIELDS:
        paid.add_argument("--" + name.replace("_", "-"), dest=name, metavar="USD",
                          help=help_text + (" (a CA year only)" if name.startswith("ca_") else ""))
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

    add_correction_parsers(command)

    p = command("calendar", cmd_ledger_calendar,
                "write an iCalendar file: qualifying dates, year-end decisions, AMT due dates", reports=False)
    p.add_argument("--out", metavar="FILE.ics", default="isoplan.ics", help="where to write (default isoplan.ics)")
    p.add_argument("--through", type=int, metavar="YEAR", help="last year of year-end reminders")

    # ---- filing season: the year's forms and its estimated tax (isoplan.app.filing)
    p = command("forms", cmd_ledger_forms,
                "a year's filing pack: Form 8949 and Schedule D on both bases, Form 6251 lines 2i/2k, Form 8801, "
                "Form 3921 reconciled, and California's Schedule P (540) line 9 per sale")
    p.add_argument("year", metavar="YEAR", help="the tax year")
    p.add_argument("--csv", metavar="DIR", help="also write one CSV per form here")

    p = command("estimates", cmd_ledger_estimates,
                "a year's estimated tax: required annual payment, installments and due dates, Schedule AI, the "
                "underpayment penalty and what to pay by the next due date (Form 2210; Form 5805 for CA)")
    p.add_argument("year", metavar="YEAR", help="the tax year")
    p.add_argument("--prior-year-tax", metavar="USD",
                   help="last year's tax as filed (default: the ledger's prior year, when entered)")
    p.add_argument("--prior-year-agi", metavar="USD", help="last year's AGI (110%% above $150,000, IRC §6654(d)(1)(C))")
    p.add_argument("--ca-prior-year-tax", metavar="USD", help="last year's California tax (a CA year)")
    p.add_argument("--ca-prior-year-agi", metavar="USD", help="last year's California AGI (a CA year)")
    p.add_argument("--payment", action="append", metavar="DATE:USD", help="a federal estimated payment (repeat)")
    p.add_argument("--ca-payment", action="append", metavar="DATE:USD",
                   help="a California estimated payment (repeat)")
    p.add_argument("--cumulative-wages", metavar="A,B,C,D",
                   help="wages through March 31, May 31, August 31 and December 31 (default: spread evenly)")
    p.add_argument("--today", metavar="DATE", help="figure the catch-up payment as of this day (default: today)")


def _db(args: argparse.Namespace) -> Path:
    from isoplan.ledger.paths import resolve

    return resolve(getattr(args, "db", None))


def _flags(*names: str) -> Labels:
    """Request field -> the flag that sets it, so an error names what the user typed."""
    return {name: "--" + name.replace("_", "-") for name in names}


def cmd_ledger_init(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app

    info = app.init(_db(args))
    if args.json:
        _print_json(info.as_dict())
    else:
        print(f"ledger ready at {info.path} (schema version {info.schema_version})")
    return 0


def cmd_ledger_add_grant(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app
    from isoplan.report.ledger_text import render_vest_schedule

    vesting = app.VestingOptions(vested=args.vested, tranches=tuple(args.tranche or ()), start=args.vest_start,
                                 months=args.vest_months, cliff_months=args.cliff_months, every=args.every)
    request = app.AddGrantRequest(
        id=args.id, company=args.company, kind=args.kind, date=args.date, shares=args.shares, strike=args.strike,
        fmv=args.fmv, expires=args.expires, vesting=vesting, early_exercise=args.early_exercise,
        post_termination_months=args.post_termination_months, post_termination_days=args.post_termination_days,
        good_faith_valuation=args.good_faith_valuation)
    labels = _flags("company", "kind", "date", "shares", "strike", "fmv", "expires", "tranche", "every",
                    "vest_start", "vest_months", "cliff_months", "post_termination_months", "post_termination_days")
    added = app.add_grant(_db(args), request, labels=labels)
    if args.json:
        _print_json(added.as_list())
    else:
        print(render_vest_schedule(added.schedule, headline=f"grant {added.grant_id} recorded ({added.vesting_rule})"))
    return 0


def cmd_ledger_vest_schedule(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app
    from isoplan.report.ledger_text import render_vest_schedule

    schedule = app.vest_schedule(_db(args), args.grant)
    if args.json:
        _print_json(schedule.as_list())
    else:
        print(render_vest_schedule(schedule))
    return 0


def _show_lots(args: argparse.Namespace, result: app_ledger.LotsResult, headline: str = "") -> int:
    from isoplan.report.ledger_text import render_lots

    if args.json:
        _print_json(result.as_list())
    else:
        print(render_lots(result, headline))
    return 0


def cmd_ledger_exercise(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app

    request = app.ExerciseRequest(
        id=args.id, grant=args.grant, date=args.date, shares=args.shares, fmv=args.fmv, kind=args.kind,
        election_83b=args.election_83b, fmv_at_vesting=args.fmv_at_vesting, terminated=args.terminated,
        termination_reason=args.termination_reason)
    labels = _flags("grant", "date", "shares", "fmv", "kind", "fmv_at_vesting", "terminated", "termination_reason")
    result = app.exercise(_db(args), request, labels={**labels, "election_83b": "--83b"})
    return _show_lots(args, result, headline=f"exercise {args.id} recorded: {len(result.lots)} lot(s)")


def cmd_ledger_vesting_fmv(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app

    result = app.vesting_fmv(_db(args), args.lot, args.fmv)
    return _show_lots(args, result, headline=f"lot {result.lots[0].lot.id}: vesting-date FMV recorded")


def _show_sales(args: argparse.Namespace, result: app_ledger.SalesResult, headline: str = "") -> int:
    from isoplan.report.ledger_text import render_sales

    if args.json:
        _print_json(result.as_list())
    else:
        print(render_sales(result, headline))
    return 0


def cmd_ledger_sell(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app

    request = app.SellRequest(id=args.id, date=args.date, shares=args.shares, price=args.price, lot=args.lot,
                              grant=args.grant, wash_sale=args.wash_sale)
    result = app.sell(_db(args), request, labels=_flags("date", "price", "lot", "grant"))
    return _show_sales(args, result, headline=f"sale {args.id} recorded: {len(result.sales)} lot(s)")


def cmd_ledger_income(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app
    from isoplan.report.ledger_text import render_income
    from isoplan.tax.fields import CA_MONEY_FIELDS, COUNT_FIELDS, MONEY_FIELDS, WITHHOLDING_FIELDS

    names = [n for n, _, _ in MONEY_FIELDS] + [n for n, _ in COUNT_FIELDS] + [n for n, _ in CA_MONEY_FIELDS]
    names += [n for n, _ in WITHHOLDING_FIELDS]
    amounts = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    request = app.IncomeRequest(year=args.year, filing_status=args.filing_status, amounts=amounts,
                                state=getattr(args, "state", None), clear=args.clear)
    flags = {n: "--" + n.replace("_", "-") for n in names} | {
        n: f[0] for n, f in (*_FLAG_ALIASES.items(), *_LEDGER_CA_FLAGS.items())}
    result = app.set_income(_db(args), request, labels={**flags, "filing_status": "--status", "state": "--state"})
    if args.json:
        _print_json(result.as_dict())
    else:
        print(render_income(result))
    return 0


def cmd_ledger_grants(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app
    from isoplan.report.ledger_text import render_grants

    result = app.grants(_db(args))
    if args.json:
        _print_json(result.as_list())
    else:
        print(render_grants(result))
    return 0


def cmd_ledger_lots(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app

    return _show_lots(args, app.lots(_db(args)))


def cmd_ledger_sales(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app

    return _show_sales(args, app.sales(_db(args)))


#: The flags of a ledger year's California inputs (isoplan.tax.fields.CA_MONEY_FIELDS), as `isoplan tax` has them.
_LEDGER_CA_FLAGS = {"property_tax": ["--property-tax"],
                    "ca_amt_credit_carryforward": ["--ca-credit-carryforward", "--ca-amt-credit-carryforward"]}


def cmd_ledger_years(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app
    from isoplan.report.ledger_text import render_years

    request = app.YearsRequest(explain=args.explain, inflation=args.inflation, deduction=args.deduction)
    result = app.years(_db(args), request)
    if args.json:
        _print_json(result.as_dict())
    else:
        print(render_years(result))
    return 0


def cmd_ledger_export(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app

    result = app.export(_db(args), app.ExportRequest(out=args.out, csv_dir=args.csv),
                        labels={"out": "--out", "csv_dir": "--csv"})
    if args.csv:
        print(f"wrote {len(result.csv_files)} CSV files to {args.csv}", file=sys.stderr)
    if not args.out:
        sys.stdout.write(result.text)
    else:
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def cmd_ledger_import(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app
    from isoplan.report.ledger_text import render_import

    result = app.import_export(_db(args), args.file)
    if args.json:
        _print_json(result.as_dict())
    else:
        print(render_import(result.counts))
    return 0


def cmd_ledger_import_3921(args: argparse.Namespace) -> int:
    from isoplan.app import ledger as app

    result = app.import_3921(_db(args), args.file)
    return _show_lots(args, result, headline=f"imported {len(result.lots)} Form 3921 exercise(s)")


def cmd_ledger_calendar(args: argparse.Namespace) -> int:
    from isoplan.app import filing, ledger

    result = filing.calendar(_db(args), ledger.CalendarRequest(through=args.through, out=args.out),
                             labels={"through": "--through", "out": "--out"})
    print(f"wrote {result.events} events to {args.out}")
    return 0


def cmd_ledger_forms(args: argparse.Namespace) -> int:
    from isoplan.app import filing
    from isoplan.report.filing_text import render_forms

    result = filing.forms(_db(args), filing.FormsRequest(year=args.year, csv_dir=args.csv), labels={"year": "YEAR"})
    if args.csv:
        print(f"wrote {len(result.csv_files)} CSV files to {args.csv}", file=sys.stderr)
    if args.json:
        _print_json(result.as_dict())
    else:
        print(render_forms(result))
    return 0


def cmd_ledger_estimates(args: argparse.Namespace) -> int:
    from isoplan.app import filing
    from isoplan.report.filing_text import render_estimates

    request = filing.EstimatesRequest(
        year=args.year, prior_year_tax=args.prior_year_tax, prior_year_agi=args.prior_year_agi,
        ca_prior_year_tax=args.ca_prior_year_tax, ca_prior_year_agi=args.ca_prior_year_agi,
        payments=tuple(args.payment or ()), ca_payments=tuple(args.ca_payment or ()),
        cumulative_wages=args.cumulative_wages, today=args.today)
    labels = {**_flags("prior_year_tax", "prior_year_agi", "ca_prior_year_tax", "ca_prior_year_agi",
                       "cumulative_wages", "today"), "year": "YEAR", "payments": "--payment",
              "ca_payments": "--ca-payment"}
    result = filing.estimates(_db(args), request, labels=labels)
    if args.json:
        _print_json(result.as_dict())
    else:
        print(render_estimates(result))
    return 0


# ---------------------------------------------------------------- corrections: delete, edit, check, backup


def add_correction_parsers(command: Callable[..., argparse.ArgumentParser]) -> None:
    """``ledger delete``, ``ledger edit``, ``ledger check`` and ``ledger backup``."""
    kinds = ["grant", "lot", "sale", "income"]
    p = command("delete", cmd_ledger_delete, "delete a grant, a lot (exercise), a sale or an income year; "
                "refused while other records depend on it; kept in the audit log")
    p.add_argument("kind", choices=kinds)
    p.add_argument("id", help="the record's id (an income year: the year)")
    p = command("edit", cmd_ledger_edit, "change fields of a grant, a lot, a sale or an income year, e.g. "
                "`ledger edit sale S1 --price 12.50`; refused when the ledger would be inconsistent; kept in the "
                "audit log")
    p.add_argument("kind", choices=kinds)
    p.add_argument("id", help="the record's id (an income year: the year)")
    p.add_argument("fields", nargs=argparse.REMAINDER, metavar="--FIELD VALUE",
                   help="grant: --company --date --strike --fmv --expires; lot: --date --shares --fmv "
                   "--fmv-at-vesting; sale: --date --shares --price; income: --status --state and any amount")
    command("check", cmd_ledger_check, "SQLite's integrity check and isoplan's invariants (exit 1 on a problem)")
    p = command("backup", cmd_ledger_backup, "a consistent copy of the ledger (SQLite's online backup)",
                reports=False)
    p.add_argument("file", metavar="FILE", help="where the copy goes (not the ledger itself)")


def _pairs(words: list[str]) -> dict[str, str]:
    """``--name value`` pairs (also ``--name=value``) by field name; anything else is refused."""
    from isoplan.errors import InputError

    out: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if not word.startswith("--") or len(word) < 3:
            raise InputError("field", word, "--FIELD VALUE pairs, e.g. --price 12.50")
        name, sep, value = word[2:].partition("=")
        if not sep:
            if i + 1 >= len(words):
                raise InputError(word, None, "a value after the flag")
            value = words[i + 1]
            i += 1
        out[name.replace("-", "_")] = value
        i += 1
    return out


def cmd_ledger_delete(args: argparse.Namespace) -> int:
    from isoplan.app import corrections as app

    result = app.delete_record(_db(args), args.kind, args.id)
    if args.json:
        _print_json(result.as_dict())
    else:
        print(f"deleted {result.kind} {result.id} (kept in the audit log)")
    return 0


def cmd_ledger_edit(args: argparse.Namespace) -> int:
    from isoplan.app import corrections as app

    fields = _pairs(list(args.fields))
    result = app.edit_record(_db(args), args.kind, args.id, fields,
                             labels={name: "--" + name.replace("_", "-") for name in fields})
    if args.json:
        _print_json(result.as_dict())
    else:
        after = result.after or {}
        changed = [k for k in after if after.get(k) != result.before.get(k)]
        print(f"edited {result.kind} {result.id}: " + (", ".join(
            f"{k} {result.before.get(k)!s} -> {after.get(k)!s}" for k in changed) or "no change"))
    return 0


def cmd_ledger_check(args: argparse.Namespace) -> int:
    from isoplan.app import corrections as app

    result = app.check(_db(args))
    if args.json:
        _print_json(result.as_dict())
    else:
        for line in (*result.integrity, *result.invariants):
            print(line)
        print(f"ledger {result.path}: " + ("ok" if result.ok else "problems found (above)"))
    return 0 if result.ok else 1


def cmd_ledger_backup(args: argparse.Namespace) -> int:
    from isoplan.app import corrections as app

    path = app.backup(_db(args), args.file, labels={"file": "FILE"})
    print(f"wrote a copy of the ledger to {path}")
    return 0
