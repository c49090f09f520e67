"""A small mutation pass over the law's rates, date rules and limits (not part of CI or `make test`).

Each mutant is a one-line change to the code (an operator flipped, a day
offset, a sort key swapped, a cap removed) or to a law data file (one
parameter value perturbed in tax/parameters/*.toml or equity/rules.toml). For
each mutant the script copies ``src/`` to a temporary directory once, applies
the change there, runs the test files that cover it against the copy (with a
timeout) and reports the mutant killed (some test failed) or survived (every
test passed: a wrong number the suite cannot see).

    python benchmarks/mutation_pass.py                 # every mutant
    python benchmarks/mutation_pass.py dates room      # mutants whose name contains any of these
    python benchmarks/mutation_pass.py --list

Exit status 0 when every mutant applied was killed, 1 when one survived, 2 when
a mutant no longer applies (the code moved: update its text here).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 600  # seconds per mutant; a mutant that hangs the tests counts as killed (reported as a timeout)

# test subsets (paths relative to the repository root)
DATES = ("tests/equity/test_boundaries.py", "tests/equity/test_rules_and_dates.py", "tests/equity/test_records.py",
         "tests/planning/test_holding_boundaries.py")
EQUITY = ("tests/equity",)
HOLDING = ("tests/planning/test_holding_boundaries.py", "tests/planning/test_staging.py")
ROOM = ("tests/planning/test_room_boundaries.py", "tests/planning/test_room.py")
# fast, hand-computed tests first: with -x a killed mutant stops at its first failure
FEDERAL = ("tests/tax/test_law_boundaries.py", "tests/tax/test_federal_worked_examples.py",
           "tests/tax/test_form8801.py", "tests/tax/test_parameter_files.py", "tests/tax/test_properties.py")
CREDIT = ("tests/tax/test_form8801.py", "tests/tax/test_federal_worked_examples.py", "tests/tax/test_law_boundaries.py")


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # relative to src/isoplan
    old: str  # text replaced: exactly once after ``after`` (or in the whole file)
    new: str
    tests: tuple[str, ...]
    after: str = ""  # an anchor (e.g. a TOML table header) the change must follow


def toml(name: str, path: str, table: str, old: str, new: str, tests: tuple[str, ...]) -> Mutant:
    """A parameter value perturbed inside one TOML table."""
    return Mutant(name, path, old, new, tests, after=f"[{table}]")


RULES = "equity/rules.toml"
FED25 = "tax/parameters/federal/2025.toml"
FED26 = "tax/parameters/federal/2026.toml"

MUTANTS: list[Mutant] = [
    # ---------------------------------------------------------------- equity/dates.py
    Mutant("dates: held_more_than accepts the anniversary", "equity/dates.py",
           "return end >= first_day_more_than(start, years)", "return end >= anniversary(start, years)", DATES),
    Mutant("dates: held_more_than starts a day late", "equity/dates.py",
           "return end >= first_day_more_than(start, years)", "return end > first_day_more_than(start, years)", DATES),
    Mutant("dates: first day more than = the anniversary", "equity/dates.py",
           "return anniversary(day, years) + timedelta(days=1)", "return anniversary(day, years) + timedelta(days=0)",
           DATES),
    Mutant("dates: first day more than = two days after", "equity/dates.py",
           "return anniversary(day, years) + timedelta(days=1)", "return anniversary(day, years) + timedelta(days=2)",
           DATES),
    Mutant("dates: no month end to month end in anniversaries", "equity/dates.py",
           "return add_months(day, 12 * years, month_end_to_month_end=True)",
           "return add_months(day, 12 * years, month_end_to_month_end=False)", DATES),
    Mutant("dates: month-end rule ignored in add_months", "equity/dates.py",
           "if month_end_to_month_end and is_month_end(day):", "if False:", DATES),
    Mutant("dates: no clamp to the end of a shorter month", "equity/dates.py",
           "return date(year, month, min(day.day, last))", "return date(year, month, min(day.day, last + 1))",
           DATES),
    Mutant("dates: array first day = the anniversary", "equity/dates.py",
           'return anniversary_array(dates, years) + np.timedelta64(1, "D")',
           'return anniversary_array(dates, years) + np.timedelta64(0, "D")', DATES),
    Mutant("dates: array month end test off by one", "equity/dates.py",
           "month_end = (next_month - d).astype(np.int64) == 1",
           "month_end = (next_month - d).astype(np.int64) == 0", DATES),
    # ---------------------------------------------------------------- equity/rules.toml
    toml("rules: 1 year after grant", RULES, "holding_after_grant", "years = 2", "years = 1", EQUITY + HOLDING),
    toml("rules: 2 years after exercise", RULES, "holding_after_exercise", "years = 1", "years = 2",
         EQUITY + HOLDING),
    toml("rules: long-term after 2 years", RULES, "long_term_holding", "years = 1", "years = 2", EQUITY + HOLDING),
    toml("rules: 4-month employment window", RULES, "employment_before_exercise", "months = 3", "months = 4",
         EQUITY),
    toml("rules: 11-month disability window", RULES, "employment_before_exercise_disability", "months = 12",
         "months = 11", EQUITY),
    toml("rules: employment rule on death", RULES, "employment_before_exercise_death", "applies = false",
         "applies = true", EQUITY),
    toml("rules: $110,000 ISO limit", RULES, "iso_annual_limit", "dollars = 100000", "dollars = 110000", EQUITY),
    toml("rules: $99,990 ISO limit", RULES, "iso_annual_limit", "dollars = 100000", "dollars = 99990", EQUITY),
    toml("rules: early exercise counts at vesting", RULES, "iso_first_exercisable",
         "early_exercise_counts_at_grant = true", "early_exercise_counts_at_grant = false", EQUITY),
    toml("rules: 9-year maximum term", RULES, "iso_maximum_term", "years = 10", "years = 9",
         (*EQUITY, "tests/ledger")),
    toml("rules: 29-day 83(b) window", RULES, "election_83b", "days = 30", "days = 29", EQUITY),
    toml("rules: return due the 16th", RULES, "return_due", "day = 15", "day = 16",
         ("tests/equity", "tests/ledger/test_calendar.py")),
    # ---------------------------------------------------------------- equity/iso_limit.py
    Mutant("iso_limit: order by id before grant date", "equity/iso_limit.py",
           "key=lambda g: (g.company, g.grant_date, g.id)", "key=lambda g: (g.company, g.id, g.grant_date)", EQUITY),
    Mutant("iso_limit: one limit for all companies", "equity/iso_limit.py",
           "key = (grant.company, year)", 'key = ("", year)', EQUITY),
    Mutant("iso_limit: year of vesting, not of first exercise", "equity/iso_limit.py",
           "year = first.year", "year = tranche.date.year", EQUITY),
    Mutant("iso_limit: no tolerance at exactly the limit", "equity/iso_limit.py",
           "math.floor(room / fmv + 1e-9)", "math.floor(room / fmv - 1e-9)", EQUITY),
    # ---------------------------------------------------------------- equity/records.py
    Mutant("records: qualifying date is the earlier test", "equity/records.py",
           "        return max(\n            first_day_more_than(self.grant_date",
           "        return min(\n            first_day_more_than(self.grant_date", EQUITY),
    Mutant("records: ISO long-term from grant", "equity/records.py",
           "start = self.exercise_date if self.kind == ISO else self.income_date",
           "start = self.grant_date if self.kind == ISO else self.income_date", EQUITY),
    Mutant("records: AMT long-term from exercise, not measurement", "equity/records.py",
           "start = self.measurement_date if self.kind == ISO else self.income_date",
           "start = self.exercise_date if self.kind == ISO else self.income_date", EQUITY),
    Mutant("records: 83(b) window a day short", "equity/records.py",
           "last = self.exercise_date + timedelta(days=self.rules.election_83b_days)",
           "last = self.exercise_date + timedelta(days=self.rules.election_83b_days - 1)", EQUITY),
    Mutant("records: vested on the vesting day is unvested", "equity/records.py",
           "return self.vesting_date is None or self.vesting_date <= self.exercise_date",
           "return self.vesting_date is None or self.vesting_date < self.exercise_date", EQUITY),
    Mutant("records: plan window not limited by expiration", "equity/records.py",
           "return min(end, self.expiration_date)", "return end", EQUITY),
    # ---------------------------------------------------------------- equity/exercise.py
    Mutant("exercise: last ISO day is not ISO", "equity/exercise.py",
           "if exercise_date <= last:", "if exercise_date < last:", EQUITY),
    # ---------------------------------------------------------------- equity/disposition.py
    Mutant("disposition: qualifying only after the qualifying date", "equity/disposition.py",
           "sale_date >= qualifying_date)", "sale_date > qualifying_date)", EQUITY),
    Mutant("disposition: long-term a day late", "equity/disposition.py",
           '"long_term": sale_date >= lot.long_term_date', '"long_term": sale_date > lot.long_term_date', EQUITY),
    Mutant("disposition: no §422(c)(2) cap", "equity/disposition.py",
           "capped = np.minimum(spread, np.maximum(gain, 0.0))", "capped = spread", EQUITY),
    Mutant("disposition: AMT basis without the adjustment", "equity/disposition.py",
           "amt_basis = regular_basis + adjustment", "amt_basis = regular_basis", EQUITY),
    Mutant("disposition: same-year rule inverted for AMT gain", "equity/disposition.py",
           "amt_capital = np.where(same_year, regular_capital, proceeds - amt_basis)",
           "amt_capital = np.where(same_year, proceeds - amt_basis, regular_capital)", EQUITY),
    Mutant("disposition: negative AMT adjustment when underwater", "equity/disposition.py",
           "return np.maximum(fmv - strike, 0.0) * shares", "return (fmv - strike) * shares", EQUITY),
    Mutant("disposition: same-day sale refused", "equity/disposition.py",
           "if sale.date < lot.exercise_date:", "if sale.date <= lot.exercise_date:", (*EQUITY, "tests/ledger")),
    # ---------------------------------------------------------------- planning/staging.py holding_ok
    Mutant("staging: ISO sale on the exercise anniversary accepted", "planning/staging.py",
           "long_term = sale >= first_day_more_than(exercise, rules.years_after_exercise)",
           "long_term = sale >= exercise.replace(year=exercise.year + rules.years_after_exercise)", HOLDING),
    Mutant("staging: sale on the 2-year grant anniversary accepted", "planning/staging.py",
           "return long_term and sale >= first_day_more_than(self.grant.grant_date, rules.years_after_grant)",
           "return long_term and sale >= self.grant.grant_date.replace("
           "year=self.grant.grant_date.year + rules.years_after_grant)", HOLDING),
    Mutant("staging: either ISO test is enough", "planning/staging.py",
           "return long_term and sale >= first_day_more_than(self.grant.grant_date",
           "return long_term or sale >= first_day_more_than(self.grant.grant_date", HOLDING),
    Mutant("staging: NSO long-term a day late", "planning/staging.py",
           "return sale >= first_day_more_than(exercise, rules.long_term_years)",
           "return sale > first_day_more_than(exercise, rules.long_term_years)", HOLDING),
    Mutant("staging: qualifying date ignores the grant test", "planning/staging.py",
           "        return max(first_day_more_than(exercise, rules.years_after_exercise),",
           "        return min(first_day_more_than(exercise, rules.years_after_exercise),", HOLDING),
    # ---------------------------------------------------------------- planning/room.py
    Mutant("room: nudge runs the wrong way", "planning/room.py",
           "np.where(~here, s - 1.0, np.where(nxt, s + 1.0, s))", "np.where(~here, s + 1.0, np.where(nxt, s - 1.0, s))",
           ROOM),
    Mutant("room: one nudge only", "planning/room.py", "    for _ in range(3):\n", "    for _ in range(1):\n", ROOM),
    Mutant("room: closed form ignores the 28% rate", "planning/room.py",
           "y39 = np.where(t <= v_bp, t / r0, bp + (t - v_bp) / r1)", "y39 = t / r0", ROOM),
    Mutant("room: closed form phase-out zero point", "planning/room.py",
           "zero_point = start + e / rate\n        below_start", "zero_point = start + e * rate\n        below_start",
           ROOM),
    Mutant("room: closed form phase-out slope", "planning/room.py",
           "(y + e + rate * start) / (1.0 + rate), y))", "(y + e + rate * start) / (1.0 - rate), y))", ROOM,
           after="def _line4_for_line6"),
    Mutant("room: exact share multiples lost to rounding", "planning/room.py",
           "slack = 1e-9 * np.maximum(spread, 1.0)", "slack = 0.0", ROOM),
    # ---------------------------------------------------------------- tax/federal.py
    Mutant("federal: bracket tops a dollar off", "tax/kernel.py",
           "maximum(income - law[rates + n_tops + 1 + k], 0.0)",
           "maximum(income - law[rates + n_tops + 1 + k] - 1.0, 0.0)", FEDERAL),
    Mutant("federal: Tax Table used at exactly $100,000", "tax/kernel.py",
           "in_table = income < law[at + P_TABLE_LIMIT]", "in_table = income <= law[at + P_TABLE_LIMIT]", FEDERAL),
    Mutant("federal: $50 rows start after $3,000", "tax/kernel.py",
           "wide if income >= law[at + P_TABLE_WIDE_FROM]", "wide if income > law[at + P_TABLE_WIDE_FROM]", FEDERAL),
    Mutant("federal: AMT rates swapped", "tax/kernel.py",
           "low, high = law[at + P_AMT_RATES], law[at + P_AMT_RATES + 1]",
           "high, low = law[at + P_AMT_RATES], law[at + P_AMT_RATES + 1]", FEDERAL),
    Mutant("federal: 28% from a dollar past the breakpoint", "tax/kernel.py",
           "maximum(base - law[at + P_AMT_BREAKPOINT], 0.0)", "maximum(base - law[at + P_AMT_BREAKPOINT] - 1.0, 0.0)",
           FEDERAL),
    Mutant("federal: exemption phase-out not floored at 0", "tax/kernel.py",
           "line5 = maximum(exemption - phaseout_rate * maximum(line4 - phaseout_start, 0.0), 0.0)",
           "line5 = exemption - phaseout_rate * maximum(line4 - phaseout_start, 0.0)", FEDERAL),
    Mutant("federal: MFS add-on not capped at the exemption", "tax/kernel.py",
           "mfs_addon = minimum(law[at + P_AMT_MFS_ADDON_RATE] * maximum(amti_before_addon - mfs_zero_point, 0.0),\n"
           "                            exemption)",
           "mfs_addon = law[at + P_AMT_MFS_ADDON_RATE] * maximum(amti_before_addon - mfs_zero_point, 0.0)", FEDERAL),
    Mutant("federal: no Part III", "tax/kernel.py",
           "line7 = line40 if line13 > 0 else line39", "line7 = line39", FEDERAL),
    Mutant("federal: QDCG 15% band ignores the 0% band", "tax/kernel.py",
           "q16 = maximum(q14 - (q5 + q9), 0.0)", "q16 = maximum(q14 - q5, 0.0)", FEDERAL),
    Mutant("federal: QDCG 0% band not limited by taxable income", "tax/kernel.py",
           "q7 = minimum(q1, cg_top0)", "q7 = cg_top0 + 0.0 * q1", FEDERAL),
    Mutant("federal: credit not limited by TMT", "tax/kernel.py",
           "credit_limit = maximum(regular_tax - line9, 0.0)", "credit_limit = maximum(regular_tax, 0.0)", FEDERAL),
    Mutant("federal: SALT not added back for AMT", "tax/kernel.py",
           "line2a = salt if itemize else standard", "line2a = 0.0 if itemize else standard", FEDERAL),
    Mutant("federal: NIIT on all net investment income", "tax/kernel.py",
           "minimum(nii, maximum(agi - law[at + P_NIIT_THRESHOLD], 0.0))", "minimum(nii, maximum(agi, 0.0))", FEDERAL),
    # ---------------------------------------------------------------- tax/form8801.py
    Mutant("form8801: credit limit not floored", "tax/form8801.py",
           "line24 = np.maximum(line22 - line23, 0.0)", "line24 = line22 - line23", CREDIT),
    Mutant("form8801: credit used not limited", "tax/form8801.py",
           "line25 = np.minimum(available, line24)", "line25 = available", CREDIT),
    Mutant("form8801: exclusion-item tax not floored", "tax/form8801.py",
           "return np.maximum(np.asarray(exclusion_tmt, dtype=np.float64) - "
           "np.asarray(regular_tax, dtype=np.float64), 0.0)",
           "return np.asarray(exclusion_tmt, dtype=np.float64) - np.asarray(regular_tax, dtype=np.float64)", CREDIT),
    # ---------------------------------------------------------------- tax/parameters/federal/*.toml
    toml("2025: single AMT exemption 88,000", FED25, "amt_exemption", "single = 88100", "single = 88000", FEDERAL),
    toml("2025: mfj AMT exemption 137,100", FED25, "amt_exemption", "mfj = 137000", "mfj = 137100", FEDERAL),
    toml("2025: single phase-out start 626,300", FED25, "amt_phaseout_start", "single = 626350", "single = 626300",
         FEDERAL),
    toml("2025: phase-out rate 0.24", FED25, "amt_phaseout_rate", "value = 0.25", "value = 0.24", FEDERAL),
    toml("2026: phase-out rate 0.25", FED26, "amt_phaseout_rate", "value = 0.50", "value = 0.25", FEDERAL),
    toml("2025: AMT upper rate 27%", FED25, "amt_rates", "value = [0.26, 0.28]", "value = [0.26, 0.27]", FEDERAL),
    toml("2025: breakpoint 239,000", FED25, "amt_breakpoint", "single = 239100", "single = 239000", FEDERAL),
    toml("2025: mfs breakpoint 119,500", FED25, "amt_breakpoint", "mfs = 119550", "mfs = 119500", FEDERAL),
    toml("2025: mfs add-on rate 0.2", FED25, "amt_mfs_addon_rate", "value = 0.25", "value = 0.2", FEDERAL),
    toml("2025: single 24% bracket top 197,400", FED25, "ordinary_brackets",
         "single = [11925, 48475, 103350, 197300,", "single = [11925, 48475, 103350, 197400,", FEDERAL),
    toml("2025: single standard deduction 15,000", FED25, "standard_deduction", "single = 15750", "single = 15000",
         FEDERAL),
    toml("2026: single standard deduction 16,000", FED26, "standard_deduction", "single = 16100", "single = 16000",
         FEDERAL),
    toml("2025: single 15% gain band top 533,500", FED25, "capital_gain_brackets", "single = [48350, 533400]",
         "single = [48350, 533500]", FEDERAL),
    toml("2025: single 0% gain band top 48,400", FED25, "capital_gain_brackets", "single = [48350, 533400]",
         "single = [48400, 533400]", FEDERAL),
    toml("2025: Tax Table limit 99,950", FED25, "tax_table", "limit = 100000", "limit = 99950", FEDERAL),
    toml("2025: NIIT rate 3.9%", FED25, "niit_rate", "value = 0.038", "value = 0.039", FEDERAL),
    toml("2025: single NIIT threshold 250,000", FED25, "niit_threshold", "single = 200000", "single = 250000",
         FEDERAL),
]


def apply(mutant: Mutant, src: Path) -> str | None:
    """Apply ``mutant`` inside the copy ``src``; returns the original text, or None if it does not apply."""
    file = src / "isoplan" / mutant.path
    text = file.read_text(encoding="utf-8")
    start = 0
    if mutant.after:
        start = text.find(mutant.after)
        if start < 0:
            return None
    at = text.find(mutant.old, start)
    if at < 0 or (not mutant.after and text.count(mutant.old) != 1):
        return None
    file.write_text(text[:at] + mutant.new + text[at + len(mutant.old):], encoding="utf-8")
    return text


def run_tests(tests: tuple[str, ...], src: Path) -> tuple[str, float]:
    """Run ``tests`` against the copy ``src``: 'passed', 'failed' or 'timeout', and the seconds taken."""
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("CI", None)  # skips stay skips here: a skipped test neither kills nor saves a mutant
    paths = [t for t in tests if (ROOT / t).exists()]
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *paths]
    began = time.monotonic()
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - began
    return ("passed" if done.returncode == 0 else "failed"), time.monotonic() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="run only mutants whose name contains one of these words")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or any(w.lower() in m.name.lower() for w in args.only)]
    if args.list:
        for m in chosen:
            print(f"{m.name}  [{m.path}]")
        return 0
    with tempfile.TemporaryDirectory(prefix="isoplan-mutants-") as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        subsets = sorted({t for m in chosen for t in m.tests})
        baseline, seconds = run_tests(tuple(subsets), src)
        print(f"baseline (no mutant) on {len(subsets)} test paths: {baseline} in {seconds:.0f}s", flush=True)
        if baseline != "passed":
            print("the unmutated tests do not pass: fix them first")
            return 2
        killed: list[Mutant] = []
        survived: list[Mutant] = []
        missing: list[Mutant] = []
        for i, m in enumerate(chosen, start=1):
            original = apply(m, src)
            if original is None:
                missing.append(m)
                print(f"[{i:2}/{len(chosen)}] NOT APPLIED  {m.name}  ({m.path}: text not found once)", flush=True)
                continue
            try:
                outcome, seconds = run_tests(m.tests, src)
            finally:
                (src / "isoplan" / m.path).write_text(original, encoding="utf-8")
            status = "survived" if outcome == "passed" else ("killed (timeout)" if outcome == "timeout" else "killed")
            (survived if outcome == "passed" else killed).append(m)
            print(f"[{i:2}/{len(chosen)}] {status:16} {m.name}  ({seconds:.0f}s)", flush=True)
    print(f"\n{len(killed)} killed, {len(survived)} survived, {len(missing)} not applied, of {len(chosen)} mutants")
    for m in survived:
        print(f"  survived: {m.name}  [{m.path}]: {m.old.strip()!r} -> {m.new.strip()!r}")
    if missing:
        return 2
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
