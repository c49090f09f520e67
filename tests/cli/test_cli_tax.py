"""`isoplan tax` and `isoplan demo` through the real entry point."""

import json
import subprocess
import sys

import pytest

from isoplan.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_tax_json_reproduces_the_fact_sheet(capsys):
    code, out, _ = run(capsys, "tax", "--year", "2026", "--status", "single", "--wages", "200000",
                       "--iso-spread", "400000", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["outputs"]["tentative_minimum_tax"] == pytest.approx(151_882)
    assert data["outputs"]["amt"] == pytest.approx(115_148)
    assert data["projected"] is False
    assert data["deduction_kind"] == "standard"


def test_tax_explain_shows_form_lines(capsys):
    code, out, _ = run(capsys, "tax", "--year", "2026", "--status", "single", "--wages", "200,000",
                       "--iso-spread", "$400000", "--explain")
    assert code == 0
    assert "Form 6251 2i" in out and "Form 6251 11" in out and "$115,148" in out


def test_explain_json_lists_lines(capsys):
    _, out, _ = run(capsys, "tax", "--year", "2025", "--status", "mfj", "--wages", "400000",
                    "--iso-spread", "300000", "--json", "--explain")
    lines = {row["key"]: row for row in json.loads(out)["lines"]}
    assert lines["amt"]["form"] == "Form 6251" and lines["amt"]["line"] == "11"
    assert lines["amt"]["value"] == pytest.approx(78_724)


def test_projected_year_is_labelled(capsys):
    _, out, _ = run(capsys, "tax", "--year", "2029", "--status", "single", "--wages", "100000",
                    "--inflation", "0.03")
    assert "2029 (PROJECTED)" in out and "3.00% a year" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--year", "2026", "--status", "widow", "--wages", "1"], "filing_status: 'widow' is not allowed"),
        (["--year", "2026", "--status", "single", "--wages", "-5"], "wages: -5.0 is not allowed"),
        (["--year", "2019", "--status", "single"], "year: 2019 is not allowed; expected a tax year from 2023"),
        (["--status", "single"], "--year"),
        (["--year", "2026", "--status", "single", "--ordinary-dividends", "10", "--qualified-dividends", "20"],
         "qualified_dividends: 20.0 is not allowed; expected at most ordinary_dividends"),
        (["--year", "2026", "--status", "single", "--wages", "abc"], "'abc' is not a number"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, _, err = run(capsys, "tax", *argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_argparse_errors_exit_2_in_one_line():
    proc = subprocess.run([sys.executable, "-m", "isoplan", "tax", "--wages", "abc"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def write(tmp_path, text):
    path = tmp_path / "households.csv"
    path.write_text(text)
    return str(path)


def test_batch_adds_outputs_to_each_row(tmp_path, capsys):
    src = write(tmp_path, "year,filing_status,wages,iso_bargain_element\n2026,single,200000,400000\n"
                          "2025,mfj,400000,300000\n2026,single,200000,\n")
    out_path = tmp_path / "out.csv"
    code, _, _ = run(capsys, "tax", "--batch", src, "--out", str(out_path))
    assert code == 0
    import csv

    rows = list(csv.DictReader(out_path.open()))
    assert [float(r["amt"]) for r in rows] == pytest.approx([115_148, 78_724, 0])
    assert rows[0]["wages"] == "200000" and rows[0]["projected"] == "false"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("year,filing_status,salary\n2026,single,1\n", "column 'salary'"),
        ("year,filing_status,wages\n2026,single,1\n2026,single,12x\n", "row 2, column wages: '12x' is not allowed"),
        ("year,filing_status,wages\n2026,single,1\n2026,married,1\n", "row 2, column filing_status: 'married'"),
        ("year,filing_status,wages\n2026,single,-1\n", "row 1, column wages: -1.0 is not allowed"),
        ("year,filing_status,ordinary_dividends,qualified_dividends\n2026,single,1,2\n",
         "row 1, column qualified_dividends"),
        ("year,filing_status\n2040,single\n", "row 1, column year: 2040 is not allowed"),
        ("filing_status,wages\nsingle,1\n", "a 'year' column"),
    ],
)
def test_batch_bad_input_names_row_and_column(tmp_path, capsys, text, message):
    code, _, err = run(capsys, "tax", "--batch", write(tmp_path, text))
    assert code == 2
    assert message in err, err
    assert len(err.strip().splitlines()) == 1


def test_demo_shows_the_6251_lines(capsys):
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "Form 6251 9" in out and "$151,882" in out


def test_help_does_not_import_numpy():
    code = "import sys, isoplan.cli as c; c.build_parser(); print('numpy' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"


def test_building_the_parser_imports_no_use_case_or_report():
    # every command builds the whole parser first: what it imports, every command pays for
    code = ("import sys, isoplan.cli as c; c.build_parser(); "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('isoplan.app.', 'isoplan.report', "
            "'isoplan.files', 'isoplan.planning')))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["isoplan.app.common", "isoplan.app.defaults", "isoplan.app.household"]
