"""Plan files (docs/plan-file.md): the examples parse; bad input names the file and the key, on the CLI one line
and exit status 2, never a traceback."""

from __future__ import annotations

import copy
import tomllib
from datetime import date
from pathlib import Path

import pytest

from isoplan.cli import main
from isoplan.errors import InputError
from isoplan.planning.plan import parse_plan

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
TODAY = date(2026, 11, 28)

BASE_TOML = """\
[person]
filing_status = "single"

[income]
wages = 250000

[cash]
per_year = 100000
reserve = 10000

[stock]
kind = "public"
price = 6.0
price_date = 2027-01-02
growth = 0.08

[[grants]]
id = "a"
grant_date = 2021-01-15
shares = 20000
strike = 1.0

[plan]
start_year = 2027
exit_date = 2029-06-30
"""


def base() -> dict:
    return tomllib.loads(BASE_TOML)


def parse(data: dict, source: str = "plan.toml"):
    return parse_plan(data, source, today=TODAY)


def test_examples_exist_and_parse():
    assert {p.name for p in EXAMPLES} >= {"staging-three-years.toml", "staging-fast-rise.toml",
                                          "three-grants-ten-years.toml"}
    for path in EXAMPLES:
        text = path.read_text()
        assert text.startswith("#"), f"{path.name} starts with its explaining comment block"
        plan = parse(tomllib.loads(text), str(path))
        assert plan.grants and plan.exit_date.year >= plan.start_year


def test_no_example_plans_an_exercise_already_past_when_the_law_data_last_changed():
    # run on the day the law data was extended to its current last year, every bundled example's first
    # exercise is still ahead: none opens with the warning that its first exercise can no longer be made
    as_of = date(2026, 12, 2)
    for path in EXAMPLES:
        plan = parse_plan(tomllib.loads(path.read_text()), str(path), today=as_of)
        assert plan.exercise_date(plan.start_year) >= as_of, path.name
        assert not any("before today" in w for w in plan.warnings), path.name


def test_seed_example_values():
    plan = parse(tomllib.loads((ROOT / "examples" / "staging-three-years.toml").read_text()), "seed")
    assert plan.filing_status == "single"
    assert plan.years == range(2027, 2031)
    assert plan.exercise_date(2027) == date(2027, 1, 2)  # default: January 2
    # wages grow 3% a year from the first plan year: 300,000 x 1.03^2 = 318,270
    assert plan.income_by_year[2027]["wages"] == pytest.approx(300_000)
    assert plan.income_by_year[2029]["wages"] == pytest.approx(318_270)
    assert plan.cash_by_year == {y: 120_000 for y in range(2027, 2031)} and plan.cash_reserve == 20_000
    g = plan.grants[0]
    assert g.shares == 30_000 and float(g.strike) == 1.0
    # 48 months from 2021-01-15 with a 12-month cliff: fully vested by 2025-01-15
    assert sum(t.shares for t in g.vesting) == 30_000 and max(t.date for t in g.vesting) == date(2025, 1, 15)
    # default expiration: 10 years after grant
    assert g.expiration_date == date(2031, 1, 15)
    # exit price from the path: 6 x 1.08^(days from 2027-01-02 to 2030-06-30 / 365.25)
    days = (date(2030, 6, 30) - date(2027, 1, 2)).days
    assert plan.exit_price == pytest.approx(6.0 * 1.08 ** (days / 365.25))
    assert plan.discount_rate == 0.04 and plan.prior_credit == 0 and plan.zero_amt is False


def test_defaults_and_explicit_years():
    data = base()
    del data["plan"]["start_year"]
    data["income"]["growth"] = 0.10
    data["income"]["years"] = {"2028": {"wages": 400000, "charitable": 5000}}
    data["cash"]["years"] = {"2028": 50000}
    data["stock"]["prices"] = [{"date": date(2028, 1, 2), "price": 9.0}]
    plan = parse(data)
    # today 2026-11-28 is after January 2, 2026: the plan starts in 2027
    assert plan.start_year == 2027
    assert plan.income_by_year[2027]["wages"] == pytest.approx(250_000)
    assert plan.income_by_year[2028] == {"wages": 400_000, "charitable": 5_000}  # explicit year replaces wages
    assert plan.income_by_year[2029]["wages"] == pytest.approx(250_000 * 1.1 ** 2)  # 302,500
    assert plan.cash_by_year[2028] == 50_000 and plan.cash_by_year[2027] == 100_000
    assert plan.stock.price_path.price(date(2028, 1, 2)) == pytest.approx(9.0)
    # today before the exercise date: the plan starts this year
    data["plan"]["exit_date"] = date(2029, 6, 30)
    assert parse_plan(data, "p", today=date(2027, 1, 1)).start_year == 2027
    assert parse_plan(data, "p", today=date(2026, 12, 31)).start_year == 2027


def test_no_cash_table_means_no_cash_limit():
    data = base()
    del data["cash"]
    plan = parse(data)
    assert plan.cash_reserve == 0 and min(plan.cash_by_year.values()) >= 1e12


def test_vesting_forms():
    data = base()
    data["grants"][0]["vesting"] = {"start": date(2026, 1, 1), "months": 24, "cliff_months": 6, "every_months": 3}
    tranches = parse(data).grants[0].vesting
    # 20,000 over 24 months, quarterly after a 6-month cliff: first tranche 2026-07-01, last 2028-01-01
    assert tranches[0].date == date(2026, 7, 1) and tranches[-1].date == date(2028, 1, 1)
    assert sum(t.shares for t in tranches) == 20_000
    data["grants"][0]["vesting"] = [{"date": date(2022, 1, 15), "shares": 5000},
                                    {"date": date(2023, 1, 15), "shares": 15000}]
    assert [t.shares for t in parse(data).grants[0].vesting] == [5000, 15000]


def test_state_gives_a_warning():
    data = base()
    data["person"]["state"] = "ny"
    plan = parse(data)
    assert plan.state == "NY" and any("only federal tax" in w for w in plan.warnings)


def test_start_before_today_is_a_warning():
    # the base plan exercises on 2027-01-02: planned on that day or before it, nothing is past
    assert not any("before today" in w for w in parse_plan(base(), "p", today=date(2027, 1, 2)).warnings)
    late = parse_plan(base(), "p", today=date(2027, 1, 3))
    assert late.today == date(2027, 1, 3)
    assert late.warnings[0].startswith("plan.start_year 2027: the first exercise date, 2027-01-02, is before today "
                                       "(2027-01-03)")
    assert "plan from 2028" in late.warnings[0]  # the next exercise date after today is in January 2028


def test_weekend_exercise_day_is_a_warning():
    # January 2 is a Saturday in 2027 and a Sunday in 2028, a Tuesday in 2029
    weekend = [w for w in parse(base()).warnings if w.startswith("plan.exercise_day")]
    assert weekend == ["plan.exercise_day: January 2 falls on a weekend in 2027 and 2028; those exercises are priced "
                       "on that day, but a broker makes them on the next business day, whose price sets the spread "
                       "(IRC §83(a), §56(b)(3))."]
    data = base()
    data["plan"]["exercise_day"] = 4  # a Monday, a Tuesday and a Wednesday
    assert not any(w.startswith("plan.exercise_day") for w in parse(data).warnings)


def _drop(key):
    def edit(d):
        del d[key]
    return edit


def _set(path, value):
    def edit(d):
        node = d
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return edit


BAD = {
    "missing person": (_drop("person"), "[person]"),
    "bad filing status": (_set(["person", "filing_status"], "married"), "person.filing_status"),
    "negative price in prices": (_set(["stock", "prices"], [{"date": date(2028, 1, 2), "price": -3.0}]),
                                 "stock.prices[0].price"),
    "negative stock price": (_set(["stock", "price"], -1.0), "stock.price"),
    "reserve above cash": (_set(["cash", "reserve"], 150_000), "cash.reserve"),
    "departure before grant": (_set(["person", "departure_date"], date(2020, 5, 1)), "person.departure_date"),
    "exit before start": (_set(["plan", "exit_date"], date(2026, 6, 30)), "plan.exit_date"),
    "unknown top-level key": (_set(["options"], {}), "options"),
    "unknown plan key": (_set(["plan", "exit_year"], 2029), "plan.exit_year"),
    "unknown grant key": (_set(["grants", 0, "quantity"], 5), "grants[0].quantity"),
    "grant with no shares": (lambda d: d["grants"][0].pop("shares"), "grants[0].shares"),
    "grant with zero shares": (_set(["grants", 0, "shares"], 0), "grants[0].shares"),
    "vesting list short": (_set(["grants", 0, "vesting"], [{"date": date(2022, 1, 15), "shares": 5000},
                                                           {"date": date(2023, 1, 15), "shares": 5000}]),
                           "grants[0].vesting"),
    "no grants": (_set(["grants"], []), "grants"),
    "missing exit": (lambda d: d["plan"].pop("exit_date"), "plan.exit_date"),
    "income year outside the plan": (_set(["income", "years"], {"2035": {"wages": 1}}), "income.years.2035"),
    "bad exercise month": (_set(["plan", "exercise_month"], 13), "plan.exercise_month"),
    "zero_amt not a bool": (_set(["plan", "zero_amt"], "yes"), "plan.zero_amt"),
    "stock kind": (_set(["stock", "kind"], "crypto"), "stock.kind"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_names_file_and_key(case):
    edit, key = BAD[case]
    data = copy.deepcopy(base())
    edit(data)
    with pytest.raises(InputError) as info:
        parse(data, "my-plan.toml")
    err = info.value
    assert err.source == "my-plan.toml"
    assert err.field == key or err.field.startswith(key), err.message
    assert "my-plan.toml" in err.message and key in err.message


# ---------------------------------------------------------------- the same through the CLI

BAD_TEXT = {
    "missing person": (lambda t: t.replace('[person]\nfiling_status = "single"\n', ""), "[person]"),
    "bad filing status": (lambda t: t.replace('"single"', '"married"'), "person.filing_status"),
    "negative price in prices": (lambda t: t.replace("growth = 0.08\n", "prices = [{date = 2028-01-02, price = -3}]\n"),
                                 "stock.prices[0].price"),
    "reserve above cash": (lambda t: t.replace("reserve = 10000", "reserve = 150000"), "cash.reserve"),
    "departure before grant": (lambda t: t.replace('"single"\n', '"single"\ndeparture_date = 2020-05-01\n'),
                               "person.departure_date"),
    "exit before start": (lambda t: t.replace("exit_date = 2029-06-30", "exit_date = 2026-06-30"), "plan.exit_date"),
    "unknown key": (lambda t: t.replace("[plan]\n", "[plan]\nexit_year = 2029\n"), "plan.exit_year"),
    "grant with no shares": (lambda t: t.replace("shares = 20000\n", ""), "grants[0].shares"),
    "vesting list short": (lambda t: t.replace("strike = 1.0\n", "strike = 1.0\nvesting = [{date = 2022-01-15, "
                                               "shares = 5000}]\n"), "grants[0].vesting"),
    "not TOML": (lambda t: t + "\nthis is = = not toml\n", "TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEXT))
def test_cli_bad_plan_one_line_exit_2(case, tmp_path, capsys):
    edit, key = BAD_TEXT[case]
    path = tmp_path / "bad.toml"
    path.write_text(edit(BASE_TOML))
    code = main(["plan", str(path), "--today", "2026-11-28"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("isoplan plan: ") and str(path) in lines[0] and key in lines[0]
    assert "Traceback" not in err


def test_cli_base_plan_runs(tmp_path, capsys):
    path = tmp_path / "ok.toml"
    path.write_text(BASE_TOML)
    assert main(["plan", str(path), "--today", "2026-11-28"]) == 0
    assert "Recommended schedule" in capsys.readouterr().out


def test_cli_missing_file(tmp_path, capsys):
    code = main(["plan", str(tmp_path / "nope.toml")])
    _, err = capsys.readouterr()
    assert code == 2 and "nope.toml" in err and len(err.strip().splitlines()) == 1


def test_departure_forfeiting_everything_is_an_error(tmp_path, capsys):
    # the grant vests only in 2031; a departure in 2027 forfeits all of it
    text = (BASE_TOML.replace('"single"\n', '"single"\ndeparture_date = 2027-03-01\n')
            .replace("strike = 1.0\n", "strike = 1.0\nvesting = [{date = 2031-01-01, shares = 20000}]\n"))
    path = tmp_path / "gone.toml"
    path.write_text(text)
    code = main(["plan", str(path), "--today", "2026-11-28"])
    _, err = capsys.readouterr()
    assert code == 2 and str(path) in err and "grants" in err and "Traceback" not in err


def _unexercisable(tmp_path):
    # nothing vests before 2031, the plan ends with a sale in mid-2029: no share can be exercised in the horizon
    text = BASE_TOML.replace("strike = 1.0\n", "strike = 1.0\nvesting = [{date = 2031-01-01, shares = 20000}]\n")
    path = tmp_path / "late.toml"
    path.write_text(text)
    return path


def test_grants_not_exercisable_in_horizon_no_traceback(tmp_path, capsys):
    path = _unexercisable(tmp_path)
    code = main(["plan", str(path), "--today", "2026-11-28"])
    _out, err = capsys.readouterr()
    assert code in (0, 2) and "Traceback" not in err


def test_grants_not_exercisable_in_horizon_says_so(tmp_path, capsys):
    path = _unexercisable(tmp_path)
    code = main(["plan", str(path), "--today", "2026-11-28"])
    out, err = capsys.readouterr()
    assert (code == 2 and "grants" in err) or (code == 0 and "No grant can be exercised" in out)
