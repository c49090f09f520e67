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


def many_households(n: int) -> str:
    statuses = ("single", "mfj", "mfs", "hoh", "qss")
    rows = [f"C{i},{2025 + i % 2},{statuses[i % 5]},{1000 * i},{(37 * i) % 500_000}" for i in range(n)]
    return "client_id,year,filing_status,wages,iso_bargain_element\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("command", ["tax", "room"])
def test_loading_ahead_and_flushing_as_written_leave_the_bytes(capsys, tmp_path, monkeypatch, command):
    """Compiled code loaded in the background while the file is read, and the output flushed to disk while it is
    written (forced here on a small file), give the bytes the plain path gives, on stdout and in a file."""
    import isoplan.app.batch as batch
    import isoplan.cli.common as common
    import isoplan.tax.compiled as compiled

    source = tmp_path / "many.csv"
    source.write_text(many_households(3000), encoding="utf-8")
    argv = [command, "--batch", str(source), "--keep", "client_id"]
    code, plain, _ = run(capsys, *argv)
    assert code == 0 and not batch.preloading
    monkeypatch.setattr(compiled, "LOAD_SECONDS", 0.0)  # loading pays for any batch: it loads ahead
    monkeypatch.setattr(compiled.PROCESS, "loaded", compiled.PROCESS.loaded)  # restored after the test
    monkeypatch.setattr(batch, "CSV_SLICE_ROWS", 256)
    monkeypatch.setattr(common, "SYNC_EVERY_BYTES", 1000)
    out = tmp_path / "results.csv"
    code, stdout, _ = run(capsys, *argv, "--out", str(out))
    assert code == 0 and stdout == "" and not batch.preloading  # the loading thread joined before the engine ran
    assert out.read_bytes() == plain.encode("utf-8")


@pytest.mark.parametrize("command", ["tax", "room"])
def test_a_small_batch_file_runs_interpreted_and_gives_the_compiled_bytes(capsys, tmp_path, monkeypatch, command):
    """A new process writes the results of a few hundred households without loading numba (interpreting them costs
    less than loading the compiled code), and they are the very bytes a process with compiled code loaded writes."""
    import isoplan.tax.compiled as compiled

    source = tmp_path / "small.csv"
    source.write_text(many_households(300), encoding="utf-8")
    argv = [command, "--batch", str(source), "--keep", "client_id"]
    code = ("import sys\nfrom isoplan.cli import main\nmain(sys.argv[1:])\n"
            "print('numba' in sys.modules, file=sys.stderr)")
    new_process = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, check=True)
    assert new_process.stderr.decode().split() == ["False"]
    monkeypatch.setattr(compiled.PROCESS, "loaded", True)
    status, loaded, _ = run(capsys, *argv)
    assert status == 0 and new_process.stdout == loaded.encode("utf-8")


def test_a_batch_leaves_the_collector_on_and_what_it_loaded_frozen(capsys, tmp_path, monkeypatch):
    """Loading the compiled code in the background turns the cyclic garbage collector off only while it loads; what
    was loaded, and what is alive when the result is written, is frozen (no collection, at exit either, walks it)."""
    import gc

    import isoplan.tax.compiled as compiled

    source = tmp_path / "many.csv"
    source.write_text(many_households(3000), encoding="utf-8")
    monkeypatch.setattr(compiled, "LOAD_SECONDS", 0.0)  # loading pays for any batch: it loads ahead
    try:
        code, _, err = run(capsys, "tax", "--batch", str(source), "--keep", "client_id", "--out",
                           str(tmp_path / "out.csv"))
        assert code == 0, err
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the rest of the tests' objects are collected as usual


def test_parquet_results_read_back_as_built(tmp_path):
    """Without dictionary pages for the numbers, the Parquet file still reads back to the very table."""
    import pyarrow.parquet as pq

    from isoplan.app.batch import parquet_options
    from isoplan.app.tax import TaxRequest, tax_batch

    source = tmp_path / "many.csv"
    source.write_text(many_households(500), encoding="utf-8")
    table = tax_batch(TaxRequest({}), str(source), keep=("client_id",)).arrow_table()
    options = parquet_options(table)
    assert options["use_dictionary"] == ["client_id", "year", "filing_status", "wages", "iso_bargain_element"]
    pq.write_table(table, tmp_path / "out.parquet", **options)
    assert pq.read_table(tmp_path / "out.parquet").equals(table)
