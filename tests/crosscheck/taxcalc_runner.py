"""Independent-engine cross-check: run households through PSL Tax-Calculator.

Runs ONLY inside .venv-taxcalc (Python 3.12, taxcalc 6.8.5 pinned by
setup_taxcalc.sh); the project's own Python 3.11 venv never imports taxcalc.

    .venv-taxcalc/bin/python tests/crosscheck/taxcalc_runner.py IN.csv OUT.csv

IN.csv: one household per row; missing or empty cells are 0.  OUT.csv: the
same rows in the same order, tc_* columns only.  Each tax year is one
Records/Calculator batch under Policy() current law (taxcalc 6.8.5 has
2025 and 2026 law including P.L. 119-21), so 10,000 rows take seconds.
Amounts are taxcalc's unrounded floats, written to the cent.

Input mapping (IN column -> taxcalc Records variable)
----------------------------------------------------
year                  -> start_year of the Records batch; taxcalc sets FLPDYR
filing_status         -> MARS: single 1, mfj 2, mfs 3, hoh 4 (qss/qw 5 is
                         also accepted).  MIDR=0: an MFS spouse is taken
                         not to itemize.
wages                 -> e00200 = e00200p (all on the head; e00200s = 0).
                         Feeds AGI and Additional Medicare Tax (Form 8959).
taxable_interest      -> e00300
ordinary_dividends    -> e00600 (includes qualified)
qualified_dividends   -> e00650 (must be <= ordinary_dividends)
short_term_gain       -> p22250 (Sch D line 7, net; may be negative)
long_term_gain        -> p23250 (Sch D line 15, net; may be negative)
other_ordinary_income -> e01400 ("taxable IRA distributions").  It is the
                         one ordinary-income input that reaches AGI only:
                         not wages (no FICA or Form 8959), not net
                         investment income, not QBI, not EITC income.
state_local_tax       -> e18400 (state/local income tax).  e18500 (real
                         estate) is summed with e18400 before the SALT cap
                         and has no other use, so the split does not matter.
mortgage_interest     -> e19200 ("itemizable interest paid")
other_itemized        -> added to e19200.  Interest paid is the only
                         Schedule A input with no AGI floor, no haircut and
                         no AMT add-back under current law.  e17500 has
                         the 7.5% floor, g20500 (casualty) and e20400
                         (misc.) carry a 100% haircut and e20400 is added
                         back for AMT, and e19800 has the 2026 0.5% floor.
charitable            -> e19800 (cash, Sch A line 11)
iso_bargain_element   -> cmbtp, "Estimate of income on (AMT) Form 6251 but
                         not in AGI" (Form 6251 lines 2c-2t and 3), which
                         is added straight to AMTI.
age_65_or_blind       -> box count.  Blind boxes fill first (blind_head,
                         then blind_spouse for mfj), because they add
                         STD_Aged with no side effects.  Only extra boxes
                         set age_head / age_spouse = 65, which also brings
                         in the Sch 1-A senior deduction.  Everyone else
                         gets age_head = 40, which keeps the kiddie-AMT
                         cap off.

Output mapping (OUT column <- taxcalc variable; Form line)
----------------------------------------------------------
tc_agi                 <- c00100  (Form 1040 line 11)
tc_taxable_income      <- c04800  (Form 1040 line 15)
tc_regular_tax         <- taxbc   (Form 1040 line 16: GainsTax worksheet or
                                   SchXYZ rate schedule, before credits/AMT)
tc_amti                <- c62100  (Form 6251 line 4)
tc_amt_exemption       <- recomputed (Form 6251 line 5).  AMT() keeps it in
                          a local variable, so this runner ports AMT() lines
                          5-40 (calcfunctions.py 2669-2749) to numpy.
tc_tmt                 <- recomputed the same way (Form 6251 line 9).  Every
                          row is checked: max(0, tmt - taxbc) must equal
                          taxcalc's c09600 within 1 cent, or the run fails.
tc_amt                 <- c09600  (Form 6251 line 11)
tc_niit                <- niit    (Form 8960 line 17)
tc_addl_medicare       <- ptax_amc (Form 8959 line 18)
tc_itemized_used       <- 1 when taxcalc chose to itemize (final
                          `standard` == 0), else 0
tc_standard_deduction  <- `standard` from StdDed, taken before the choice
                          zeroes it.  In 2026 it includes the non-itemizer
                          cash-charity add-on.
tc_itemized_deduction  <- c04470 from ItemDed, taken before the choice
                          zeroes it (after SALT cap and 2026 §68 cut)
extra diagnostics       : tc_itemized_before_limit (c21060), tc_salt_deducted
                          (c18300), tc_charity_deducted (c19700),
                          tc_senior_deduction (senior_deduction),
                          tc_tax_before_credits (c05800 = taxbc + c09600)
(taxcalc 6.8.5 has no c04100 variable.  The standard deduction is
`standard`.)

Known ways taxcalc 6.8.5 departs from the law for these inputs
(line numbers: taxcalc/calcfunctions.py and calculator.py, v6.8.5;
"TF" = shared/TAX_FACTS.md)
--------------------------------------------------------------
1. MFS AMTI add-on is missing.  AMT() sets the MFS exemption to 0 above
   AMT_em_pe (calcfunctions 2671-2672) and never adds the §55(d) flush-language
   add-on (the lesser of 25% of AMTI above the zero point, or the exemption).
   TMT comes out low by up to ~$19,600.  Law: §55(d), Form 6251 line 4; TF A4, H.
2. MFS 2026 zero point: AMT_em_pe = 639,200, but the law and the draft
   2026 Form 6251 give 640,200.  With the 50% phase-out the exemption drops
   from $500 to $0 at 639,200 (a cliff).  TF A4, G3.
3. MFS SALT phase-down: ItemDed applies the 30% rate to the half cap
   ($20,000/$20,200 less 30% of AGI over $250,000/$252,500; calcfunctions
   1390-1393, ID_AllTaxes_c_po_rate=0.3).  §164(b)(6)-(7) phases the full
   amount down and then halves it, which is 15% over $250,000/$252,500 with
   a $5,000 floor.  TF A8, H.
4. 2026 §68 (2/37) cut stays in AMTI.  ItemDed subtracts the cut from
   c04470 (1472-1476), and AMT() starts from AGI - c04470 and undoes only
   Pease c21040 (2651-2658).  §56(b)(1)(F) says §68 does not apply for AMT,
   so the law restores the cut, and TMT is overstated by up to ~$17,000.
   TF A9, G7, H ([S]).
   The cut itself is rate*min(c04470, AGI - II_brk6) (1473-1475).  The
   statute uses taxable income + itemized deductions, i.e. AGI less the
   senior/QBI/Sch 1-A deductions, so with those deductions taxcalc's cut is
   slightly too big.  (6.8.5 does keep the min(); TF A9's "drops the min()"
   refers to an older commit.)
5. Rate schedule instead of the Tax Table.  SchXYZ (2023-2108) is the rate
   schedule, unrounded, also inside the QDCG / Sch D worksheet (dwks42).
   Below $100,000 of taxable income the law uses the Tax Table (Form 1040
   instructions), so expect differences up to about $6 and cents everywhere.
   TF H.
6. The 2026 non-itemizer charitable deduction (§170(p): $1,000, or $2,000
   on a joint return) goes into `standard` (StdDed 1717), and the AMT
   non-itemizer branch starts from AGI (2659-2662), so the charity is added
   back for AMT.  §56(b)(1) does not disallow it, so it should stay deducted
   for AMTI ([S]).  TF H.  The cap is by MARS: $2,000 for MARS 2 and $1,000
   for all others, QSS included, which matches "joint return".
7. Deduction choice (calculator.py 1438-1500): taxcalc runs the whole
   return twice and keeps the deduction with the smaller c05800 (regular
   tax + AMT, ignoring NIIT and credits).  On a tie it itemizes only when
   itemized > standard (tie_tol 1 cent, 1489-1494).  This matches the §63(e)
   election as TF H describes it ("pick the cheaper"), including itemizing
   below the standard deduction when AMT binds.  OpenTaxSolver never does
   that.  Because the comparison ignores NIIT and credits, it can differ
   from a total-tax comparison only through credits, which are not used here.
8. 2026 charitable 0.5%-of-AGI floor (§170(b)(1)(I), ID_Charity_frt=0.005):
   it is applied to total contributions and the 60%-of-AGI ceiling comes
   after it (1416-1428).  Carryforward of the floored-out amount is not
   modeled.  The order only matters when gifts exceed ~60% of AGI ([U]).
   The floor applies only when itemizing.  The non-itemizer deduction has
   no floor, which is right.
9. The senior deduction (§151(d)(5)(C), $6,000 per person 65+, 6% phase-out
   over $75k/$150k MAGI) comes from MiscDed (1150-1165) and is subtracted in
   TaxInc (1905) but not in AMT() (2640-2662).  So it is added back for AMT,
   as Form 6251 line 1a requires (agrees with the law; TF B1, G2).  taxcalc
   has no exact-step option for it, but the statute's phase-out is smooth
   anyway.
10. The standard deduction is added back for AMT (AMT() 2659-2662; agrees
    with §56(b)(1)(E)).  Post-cap SALT c18300 is added back for itemizers
    (2654; agrees with §56(b)(1)(A)(ii)).  Mortgage/other interest (e19200)
    is not added back: right for acquisition debt, but home-equity interest
    not used to buy, build or improve the home would be an AMT add-back
    (§56(e)) that taxcalc does not model.
11. Form 6251 line 10 is taxbc - e07300 - c05700 (2752); no Schedule 2
    line 1z items are modeled.  Part III line 15 is always
    min(line13+line14, dwks10) (2696), which is the same thing when there
    is no §1250 gain.  Part III is run whenever any dwks value is > 0, so a
    short-term-gain-only return also takes Part III, and the result is the
    same.
12. AMT capital gains: Part III reuses the regular-tax dwks13/14/18 (no AMT
    basis refiguring, no separate AMT $3,000 loss limit).  This does not
    matter here because the ISO spread enters only as cmbtp (line 2i).  A
    same-year sale or a line 2k disposition adjustment cannot be
    represented except as more cmbtp, which would be taxed at 26/28%
    rather than at capital-gain rates.
13. NIIT: MAGI = AGI, and NII = interest + dividends + c01000 (net gain
    after the $3,000 loss limit) (2758-2881).  Thresholds are 200k/250k/125k,
    with QSS at 250k (agrees with §1411; TF A5).  Additional Medicare Tax
    uses e00200 only (1594), so other_ordinary_income never counts, which
    is right for disqualifying-disposition income (§3121(a)(22)).  NSO
    spread is FICA wages, so put it in `wages` if Form 8959 should see it.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
import taxcalc
from taxcalc import Calculator, Policy, Records
from taxcalc.calcfunctions import ItemDed, StdDed

EXPECTED_TAXCALC = "6.8.5"

IN_COLUMNS = [
    "year", "filing_status", "wages", "taxable_interest", "ordinary_dividends",
    "qualified_dividends", "short_term_gain", "long_term_gain",
    "other_ordinary_income", "state_local_tax", "mortgage_interest",
    "charitable", "other_itemized", "iso_bargain_element", "age_65_or_blind",
]
NUMERIC_IN = [c for c in IN_COLUMNS if c != "filing_status"]

OUT_COLUMNS = [
    "tc_agi", "tc_taxable_income", "tc_regular_tax", "tc_amti",
    "tc_amt_exemption", "tc_tmt", "tc_amt", "tc_niit", "tc_addl_medicare",
    "tc_itemized_used", "tc_standard_deduction", "tc_itemized_deduction",
    "tc_itemized_before_limit", "tc_salt_deducted", "tc_charity_deducted",
    "tc_senior_deduction", "tc_tax_before_credits",
]

MARS_CODES = {"single": 1, "s": 1, "mfj": 2, "mfs": 3, "hoh": 4,
              "qss": 5, "qw": 5}
SUPPORTED_YEARS = (2025, 2026)


def read_input(path: str) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.columns = [c.strip() for c in raw.columns]
    missing = [c for c in ("year", "filing_status") if c not in raw.columns]
    if missing:
        raise ValueError(f"input is missing required column(s): {missing}")
    df = pd.DataFrame(index=raw.index)
    df["filing_status"] = raw["filing_status"].str.strip().str.lower()
    bad = ~df["filing_status"].isin(list(MARS_CODES))
    if bad.any():
        raise ValueError("unknown filing_status in row(s) "
                         f"{list(raw.index[bad] + 1)}: "
                         f"{sorted(set(df['filing_status'][bad]))}")
    for col in NUMERIC_IN:
        if col in raw.columns:
            s = raw[col].str.strip().replace("", "0")
            df[col] = pd.to_numeric(s, errors="raise").astype(float)
        else:
            df[col] = 0.0
    df["year"] = df["year"].astype(int)
    bad = ~df["year"].isin(SUPPORTED_YEARS)
    if bad.any():
        raise ValueError(f"year must be one of {SUPPORTED_YEARS}; "
                         f"bad row(s) {list(raw.index[bad] + 1)}")
    bad = df["qualified_dividends"] > df["ordinary_dividends"] + 0.005
    if bad.any():
        raise ValueError("qualified_dividends > ordinary_dividends in row(s) "
                         f"{list(raw.index[bad] + 1)}")
    return df


def to_records_frame(sub: pd.DataFrame) -> pd.DataFrame:
    """Build the taxcalc input DataFrame for one tax year."""
    n = len(sub)
    mars = sub["filing_status"].map(MARS_CODES).to_numpy(dtype=np.int64)
    joint = mars == 2
    boxes = np.clip(np.rint(sub["age_65_or_blind"].to_numpy()), 0, None)
    boxes = np.minimum(boxes, np.where(joint, 4, 2)).astype(np.int64)
    # blind boxes first (no side effects), then 65+ (adds senior deduction)
    blind_head = (boxes >= 1).astype(np.int64)
    blind_spouse = (joint & (boxes >= 2)).astype(np.int64)
    n_blind = blind_head + blind_spouse
    n_aged = boxes - n_blind
    age_head = np.where(n_aged >= 1, 65, 40).astype(np.int64)
    age_spouse = np.where(joint, np.where(n_aged >= 2, 65, 40), 0)
    wages = sub["wages"].to_numpy()
    return pd.DataFrame({
        "RECID": np.arange(1, n + 1, dtype=np.int64),
        "MARS": mars,
        "XTOT": np.where(joint, 2, 1).astype(np.int64),
        "age_head": age_head,
        "age_spouse": age_spouse.astype(np.int64),
        "blind_head": blind_head,
        "blind_spouse": blind_spouse,
        "e00200": wages,
        "e00200p": wages,
        "e00200s": np.zeros(n),
        "e00300": sub["taxable_interest"].to_numpy(),
        "e00600": sub["ordinary_dividends"].to_numpy(),
        "e00650": sub["qualified_dividends"].to_numpy(),
        "p22250": sub["short_term_gain"].to_numpy(),
        "p23250": sub["long_term_gain"].to_numpy(),
        "e01400": sub["other_ordinary_income"].to_numpy(),
        "e18400": sub["state_local_tax"].to_numpy(),
        "e18500": np.zeros(n),
        "e19200": (sub["mortgage_interest"].to_numpy()
                   + sub["other_itemized"].to_numpy()),
        "e19800": sub["charitable"].to_numpy(),
        "cmbtp": sub["iso_bargain_element"].to_numpy(),
    })


def amt_lines(calc: Calculator) -> tuple[np.ndarray, np.ndarray]:
    """Form 6251 line 5 (exemption) and line 9 (TMT).

    Vectorized port of AMT() in calcfunctions.py 6.8.5 (lines 2669-2749),
    which does not store either value in a Records variable.
    """
    def p(name):
        return calc.policy_param(name)

    mars = calc.array("MARS")
    i = mars - 1
    amti = calc.array("c62100")
    # line 5
    line5 = np.maximum(0., p("AMT_em")[i] - p("AMT_prt")
                       * np.maximum(0., amti - p("AMT_em_ps")[i]))
    line5 = np.where((mars == 3) & (amti > p("AMT_em_pe")), 0., line5)
    age_head = calc.array("age_head")
    young = (age_head != 0) & (age_head < p("AMT_child_em_c_age"))
    line5 = np.where(young & (mars != 2),
                     np.minimum(line5, calc.array("earned") + p("AMT_child_em")),
                     line5)
    line6 = np.maximum(0., amti - line5)
    brk1 = p("AMT_brk1")[i]
    rt1, rt2a = p("AMT_rt1"), p("AMT_rt2_addon")
    flat = rt1 * line6 + rt2a * np.maximum(0., line6 - brk1)
    dwks10, dwks13 = calc.array("dwks10"), calc.array("dwks13")
    dwks14, dwks18 = calc.array("dwks14"), calc.array("dwks18")
    e24515 = calc.array("e24515")
    part3 = ((dwks10 > 0) | (dwks13 > 0) | (dwks14 > 0) | (dwks18 > 0)
             | (e24515 > 0))
    line13 = dwks13
    line14 = e24515
    line15 = np.minimum(line13 + line14, dwks10)
    line16 = np.minimum(line6, line15)
    line17 = np.maximum(0., line6 - line16)
    line18 = rt1 * line17 + rt2a * np.maximum(0., line17 - brk1)
    line21 = np.maximum(0., p("AMT_CG_brk1")[i] - dwks14)
    line22 = np.minimum(line6, line13)
    line23 = np.minimum(line21, line22)
    cgtax1 = line23 * p("AMT_CG_rt1")
    line24 = line22 - line23
    line28 = line21 + dwks18
    line29 = np.maximum(0., p("AMT_CG_brk2")[i] - line28)
    line30 = np.minimum(line24, line29)
    cgtax2 = line30 * p("AMT_CG_rt2")
    line32 = line23 + line30
    line33 = line22 - line32
    cgtax3 = line33 * p("AMT_CG_rt3")
    cg_top = line28 + line30 + line33
    hi_base = np.minimum(line33,
                         np.maximum(0., cg_top - p("AMT_CG_brk3")[i]))
    cgtax4 = (p("AMT_CG_rt4") - p("AMT_CG_rt3")) * hi_base
    line36 = np.maximum(0., line6 - line17 - line32 - line33)
    line37 = np.where(line14 == 0., 0., p("AMT_CG_rt1250") * line36)
    line38 = line18 + cgtax1 + cgtax2 + cgtax3 + cgtax4 + line37
    line7 = np.where(part3, np.minimum(flat, line38), flat)
    line8 = np.where(calc.array("f6251") == 1, calc.array("e62900"),
                     calc.array("e07300"))
    return line5, line7 - line8


def run_year(sub: pd.DataFrame, year: int) -> pd.DataFrame:
    rec = Records(data=to_records_frame(sub), start_year=year,
                  gfactors=None, weights=None, exact_calculations=True)
    calc = Calculator(policy=Policy(), records=rec, verbose=False)
    assert calc.current_year == year
    calc.calc_all()
    arr = calc.array
    taxbc = arr("taxbc").copy()
    c09600 = arr("c09600").copy()
    exemption, tmt = amt_lines(calc)
    line10 = np.maximum(0., taxbc - arr("e07300") - arr("c05700"))
    check = np.maximum(0., tmt - line10)
    bad = np.abs(check - c09600) > 0.01
    if bad.any():
        k = int(np.argmax(bad))
        raise RuntimeError(
            f"TMT port disagrees with taxcalc AMT() for {int(bad.sum())} "
            f"row(s) in {year}; first: tmt={tmt[k]:.2f} taxbc={taxbc[k]:.2f}"
            f" c09600={c09600[k]:.2f}")
    out = pd.DataFrame(index=sub.index)
    out["tc_agi"] = arr("c00100")
    out["tc_taxable_income"] = arr("c04800")
    out["tc_regular_tax"] = taxbc
    out["tc_amti"] = arr("c62100")
    out["tc_amt_exemption"] = exemption
    out["tc_tmt"] = tmt
    out["tc_amt"] = c09600
    out["tc_niit"] = arr("niit")
    out["tc_addl_medicare"] = arr("ptax_amc")
    itemizing = arr("standard") == 0.
    chosen_item = arr("c04470").copy()
    chosen_std = arr("standard").copy()
    out["tc_itemized_used"] = itemizing.astype(int)
    out["tc_senior_deduction"] = arr("senior_deduction")
    out["tc_tax_before_credits"] = arr("c05800")
    # The deduction choice zeroes the losing deduction.  Re-run ItemDed and
    # StdDed (pure functions of inputs, AGI and policy) to report both
    # candidates; every output above was already copied out.
    pol = calc._Calculator__policy  # pylint: disable=protected-access
    recs = calc._Calculator__records  # pylint: disable=protected-access
    ItemDed(pol, recs)
    StdDed(pol, recs)
    if not (np.allclose(arr("c04470")[itemizing], chosen_item[itemizing],
                        rtol=0., atol=0.01)
            and np.allclose(arr("standard")[~itemizing],
                            chosen_std[~itemizing], rtol=0., atol=0.01)):
        raise RuntimeError("re-run of ItemDed/StdDed disagrees with the "
                           "deduction taxcalc used")
    out["tc_standard_deduction"] = arr("standard")
    out["tc_itemized_deduction"] = arr("c04470")
    out["tc_itemized_before_limit"] = arr("c21060")
    out["tc_salt_deducted"] = arr("c18300")
    out["tc_charity_deducted"] = arr("c19700")
    return out


def run(df: pd.DataFrame) -> pd.DataFrame:
    parts = [run_year(df[df["year"] == y], int(y))
             for y in sorted(df["year"].unique())]
    out = pd.concat(parts).loc[df.index, OUT_COLUMNS]
    money = [c for c in OUT_COLUMNS if c != "tc_itemized_used"]
    out[money] = out[money].astype(float).round(2)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        print("usage: python taxcalc_runner.py IN.csv OUT.csv", file=sys.stderr)
        return 2
    if taxcalc.__version__ != EXPECTED_TAXCALC:
        print(f"warning: taxcalc {taxcalc.__version__} installed; the mapping "
              f"and deviation notes were checked against {EXPECTED_TAXCALC}",
              file=sys.stderr)
    t0 = time.perf_counter()
    df = read_input(argv[1])
    out = run(df) if len(df) else pd.DataFrame(columns=OUT_COLUMNS)
    out.to_csv(argv[2], index=False)
    print(f"taxcalc {taxcalc.__version__}: {len(df)} row(s) in "
          f"{time.perf_counter() - t0:.1f}s -> {argv[2]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
