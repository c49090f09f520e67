"""`isoplan tax --batch` and `isoplan room --batch` through the real entry point: formats by suffix, --keep, and
nothing written when a file is refused."""

import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from isoplan.cli import main

CSV = "client_id,year,filing_status,wages,iso_bargain_element\nA-1,2026,single,200000,400000\nA-2,2025,mfj,400000,\n"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def households(tmp_path):
    path = tmp_path / "households.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["tax", "room"])
def test_keep_passes_a_client_id_through(capsys, households, command):
    code, out, err = run(capsys, command, "--batch", str(households), "--keep", "client_id")
    assert code == 0 and err == ""
    lines = out.split("\r\n")
    assert lines[0].startswith("client_id,year,filing_status,wages,iso_bargain_element,")
    assert lines[1].startswith("A-1,2026,single,200000,400000,") and lines[2].startswith("A-2,2025,mfj,400000,,")


@pytest.mark.parametrize("command", ["tax", "room"])
def test_parquet_out_by_suffix(capsys, households, tmp_path, command):
    out = tmp_path / "results.parquet"
    code, stdout, _ = run(capsys, command, "--batch", str(households), "--keep", "client_id", "--out", str(out))
    assert code == 0 and stdout == ""
    table = pq.read_table(out)
    assert table.column("client_id").to_pylist() == ["A-1", "A-2"]
    code, _, _ = run(capsys, command, "--batch", str(out.with_name("in.parquet")), "--keep", "client_id")
    assert code == 2  # no such file: named, one line
    pq.write_table(table.select(["client_id", "year", "filing_status", "wages", "iso_bargain_element"]),
                   out.with_name("in.parquet"))
    code, from_parquet, _ = run(capsys, command, "--batch", str(out.with_name("in.parquet")), "--keep", "client_id")
    code_csv, from_csv, _ = run(capsys, command, "--batch", str(households), "--keep", "client_id")
    assert code == code_csv == 0
    # the outputs agree; the inputs are echoed as the file holds them (typed in Parquet)
    tail = 5  # client_id, year, filing_status, wages, iso_bargain_element
    assert [line.split(",")[tail:] for line in from_parquet.split("\r\n")] == \
        [line.split(",")[tail:] for line in from_csv.split("\r\n")]


@pytest.mark.parametrize(("argv", "words"), [
    (["--keep", "client"], ["--keep", "'client'", "a column of"]),
    ([], ["column 'client_id'"]),
    (["--keep", "client_id", "--keep", "wages"], ["--keep", "'wages'"]),
])
@pytest.mark.parametrize("command", ["tax", "room"])
def test_refused_files_write_nothing(capsys, households, tmp_path, command, argv, words):
    out = tmp_path / "out.csv"
    code, stdout, err = run(capsys, command, "--batch", str(households), "--out", str(out), *argv)
    assert code == 2 and stdout == "" and not out.exists()
    assert all(w in err for w in words) and len(err.strip().splitlines()) == 1
    out.write_bytes(b"old")
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV + "A-3,2026,single,12x,0\n", encoding="utf-8")
    code, _, err = run(capsys, command, "--batch", str(bad), "--out", str(out), "--keep", "client_id")
    assert code == 2 and "row 3, column wages: '12x' is not allowed" in err
    assert out.read_bytes() == b"old"


def test_batch_and_one_household_do_not_load_pyarrow():
    code = ("import sys; from isoplan.cli import build_parser, main; build_parser(); "
            "main(['tax', '--year', '2025', '--status', 'single', '--wages', '1']); print('pyarrow' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "False"
