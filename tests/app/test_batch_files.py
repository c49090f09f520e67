"""Batch files (``tax --batch``, ``room --batch``): every cell the one-household path's figure, CSV byte for byte
as the csv module writes it, Parquet in and out, ``--keep``, and refusals that name the row and column."""

from __future__ import annotations

import csv
import io
import random

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from isoplan.app.batch import PY_WHITESPACE, BatchResult, OutputColumn, batch_households, cents_text, read_batch
from isoplan.app.common import InputError
from isoplan.app.room import RoomRequest, room, room_batch
from isoplan.app.tax import TaxRequest, compute_tax, tax_batch
from isoplan.files import csv_text_rows
from isoplan.tax.explain import OUTPUTS

COLUMNS = ["year", "filing_status", "wages", "taxable_interest", "ordinary_dividends", "qualified_dividends",
           "long_term_gain", "amt_long_term_gain", "short_term_loss_carryover", "iso_bargain_element",
           "amt_disposition_adjustment", "state_local_tax", "charitable", "amt_credit_carryforward"]


def _amount(rng: random.Random, top: int) -> str:
    """A cell as people write them: blank, plain, with cents, with thousands commas, with a dollar sign."""
    value = rng.choice([0, rng.randint(0, top), rng.randint(0, top) + rng.choice([0.25, 0.5, 0.125, 0.99])])
    style = rng.randrange(6)
    if style == 0:
        return ""
    if style == 1:
        return f"{value:,}"
    if style == 2:
        return f"${value}"
    if style == 3:
        return f"  {value} "
    return str(value)


def mixed_rows(n: int, seed: int = 5) -> list[dict[str, str]]:
    """Households of both years and every status, written in the ways the one-household path also reads."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        dividends = rng.randint(0, 40_000)
        gain = rng.choice(["", "0", str(rng.randint(-20_000, 300_000))])
        rows.append({
            "year": rng.choice(["2025", "2026"]),
            "filing_status": rng.choice(["single", "mfj", "MFS", " hoh", "qss"]),
            "wages": _amount(rng, 2_500_000),
            "taxable_interest": _amount(rng, 20_000),
            "ordinary_dividends": str(dividends),
            "qualified_dividends": str(rng.randint(0, dividends)),
            "long_term_gain": gain,
            "amt_long_term_gain": rng.choice(["", gain, str(rng.randint(-30_000, 10_000))]),
            "short_term_loss_carryover": rng.choice(["", "0", "7000"]),
            "iso_bargain_element": _amount(rng, 900_000),
            "amt_disposition_adjustment": "",
            "state_local_tax": _amount(rng, 80_000),
            "charitable": _amount(rng, 25_000),
            "amt_credit_carryforward": rng.choice(["", "0", "5000", "60000.5"]),
        })
    return rows


def write_csv(path, rows, columns=COLUMNS, extra=""):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([[row[c] for c in columns] for row in rows])
    path.write_text(buffer.getvalue() + extra, encoding="utf-8", newline="")
    return str(path)


def csv_bytes(table) -> bytes:
    """The bytes of a batch result as the CSV writer of the command writes them (and as the text columns,
    :meth:`BatchResult.text_parts`, write them)."""
    from isoplan.files import write_csv_columns

    out = io.BytesIO()
    write_csv_columns(out, table.header, table.text_parts(), "--out")
    written = b"".join(table.csv_chunks())
    assert written == out.getvalue()
    return written


def expected_csv(header, rows) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def tax_row(row: dict[str, str]) -> list[str]:
    """One household through ``isoplan tax``'s one-household path, as batch cells."""
    household = {k: v for k, v in row.items() if k in COLUMNS and v.strip()}
    result = compute_tax(TaxRequest(household))
    outputs = result.as_dict()["outputs"]
    return [f"{outputs[k]:.2f}" for k in OUTPUTS] + [str(result.projected).lower()]


# ---------------------------------------------------------------- the figures


def test_a_mixed_file_gets_the_one_household_figures_byte_for_byte(tmp_path):
    rows = mixed_rows(120)
    path = write_csv(tmp_path / "mixed.csv", rows)
    table = tax_batch(TaxRequest({}), path)
    assert table.header == (*COLUMNS, *OUTPUTS, "projected")
    expected = [[row[c].strip() for c in COLUMNS] + tax_row(row) for row in rows]
    assert csv_bytes(table) == expected_csv(table.header, expected)
    assert [list(r) for r in table.rows] == expected


def test_room_batch_is_the_one_household_room(tmp_path):
    rows = mixed_rows(40, seed=9)
    path = write_csv(tmp_path / "mixed.csv", rows)
    table = room_batch(RoomRequest({}, spread_per_share=37.5), path)
    assert table.header == (*COLUMNS, "amt_room", "already_in_amt", "credit_line", "shares", "shares_after_margin")
    expected = []
    for row in rows:
        household = {k: v for k, v in row.items() if v.strip()}
        one = room(RoomRequest(household, spread_per_share=37.5))
        line = one.credit.credit_line if one.credit is not None else None
        expected.append([row[c].strip() for c in COLUMNS] + [
            str(int(one.amt_room)), str(one.already_in_amt).lower(), "" if line is None else str(int(line)),
            str(one.shares), str(one.shares_after_margin)])
    assert csv_bytes(table) == expected_csv(table.header, expected)


def test_state_rows_get_the_one_household_state_figures(tmp_path):
    rows = mixed_rows(30, seed=3)
    rng = random.Random(1)
    for row in rows:
        row["state"] = rng.choice(["CA", "ca", "", "TX"])
        row["property_tax"] = rng.choice(["", "0", "4,000"]) if row["state"].upper() == "CA" else ""
        if row["property_tax"]:
            row["state_local_tax"] = "9000"  # property taxes are part of the state and local taxes
    columns = [*COLUMNS, "state", "property_tax"]
    table = tax_batch(TaxRequest({}), write_csv(tmp_path / "s.csv", rows, columns))
    ca_outputs = [c for c in table.header if c.startswith("ca_")]
    for row, cells in zip(rows, table.rows, strict=True):
        out = dict(zip(table.header, cells, strict=True))
        assert [out[k] for k in (*OUTPUTS, "projected")] == tax_row(row)
        if row["state"].upper() != "CA":
            assert all(out[k] == "" for k in ca_outputs)
            continue
        household = {k: v for k, v in row.items() if k in COLUMNS and v.strip()}
        one = compute_tax(TaxRequest(household, state="CA", property_tax=row["property_tax"] or None))
        assert one.state_tax is not None
        state = one.state_tax.outputs
        assert [out[k] for k in state] == [f"{v:.2f}" for v in state.values()]
        assert out["ca_projected"] == str(one.state_tax.projected).lower()
    assert "TX" in table.notes[0]


def test_amounts_are_written_as_python_writes_them():
    rng = np.random.default_rng(2)
    whole = rng.integers(-10**9, 10**9, 200_000)
    values = np.concatenate([whole / 8, whole / 1000, whole / 100 + 0.005, rng.uniform(-1e7, 1e7, 100_000),
                             [0.125, 1.005, 2.675, -0.001, -0.0, 0.0, 1e15, np.nan, np.inf, -np.inf, 0.015,
                              -99.995, 1e12, 5e13 - 0.005]])
    assert cents_text(values).to_pylist() == [f"{v:.2f}" for v in values.tolist()]


@pytest.mark.parametrize("compiled", [False, True])  # column-wise, and the compiled pass of a large result
def test_parquet_amounts_are_the_floats_of_the_text_python_writes(compiled, monkeypatch):
    from isoplan.app.batch_cents import cents_values

    monkeypatch.setattr("isoplan.tax.compiled.compiled_loaded", lambda: compiled)
    rng = np.random.default_rng(3)
    whole = rng.integers(-10**12, 10**12, 50_000)
    halves = whole / 100 + 0.005  # on or next to a half cent: the rounding's hard cases
    values = np.concatenate([whole / 8, whole / 1000, halves, np.nextafter(halves, np.inf),
                             np.nextafter(halves, -np.inf), rng.uniform(-1e7, 1e7, 50_000),
                             rng.standard_normal(10_000) / 100, EDGE_AMOUNTS, [4.5036e13, -1e-300, 5e-324]])
    expected = np.array([float(f"{v:.2f}") for v in values.tolist()])
    rounded = cents_values(values)
    assert rounded.view(np.int64).tolist() == expected.view(np.int64).tolist()  # bit for bit: -0.0 and NaN too


EDGE_AMOUNTS = [0.125, 1.005, 2.675, -0.001, -0.0, 0.0, 1e15, np.nan, np.inf, -np.inf, 0.015, -99.995, 1e12,
                5e13 - 0.005, 4.5e13, -4.5e13 + 0.01, -0.01, -0.005, 0.005, 9.995, -9.995, 123456789.125]


@pytest.mark.parametrize("rows", [7, 3000])  # interpreted, and compiled over slices
def test_result_rows_are_written_as_the_csv_module_writes_them(rows, monkeypatch):
    monkeypatch.setattr("isoplan.app.batch.CSV_SLICE_ROWS", 1024)
    monkeypatch.setattr("isoplan.tax.compiled.PROCESS.loaded", True)  # compiled even where loading costs more
    rng = np.random.default_rng(rows)
    whole = rng.integers(-10**9, 10**9, rows)
    amounts = [whole / 8, whole / 1000, whole / 100 + 0.005, rng.uniform(-1e7, 1e7, rows)]
    edgy = np.resize(np.array(EDGE_AMOUNTS), rows)
    shown = rng.random(rows) < 0.7
    labels = np.resize(np.array(["plain", "a,b", 'say "hi"', "line\nbreak", "", "ünï"]), rows)
    wholes = np.where(rng.random(rows) < 0.2, np.nan, np.trunc(rng.uniform(-1e12, 1e12, rows)))
    ids = pa.array([None if i % 11 == 3 else f"C,{i}" if i % 13 == 0 else f"C{i}" for i in range(rows)])
    columns = (OutputColumn("id", "input", ids), OutputColumn("n", "input", pa.array(whole)),
               *(OutputColumn(f"a{k}", "amount", v) for k, v in enumerate(amounts)),
               OutputColumn("edge", "amount", edgy), OutputColumn("hidden", "amount", edgy, shown=shown),
               OutputColumn("clean", "amount", np.where(shown, whole / 4, np.nan), shown=shown),
               OutputColumn("flag", "flag", whole % 3 == 0), OutputColumn("shown_flag", "flag", whole > 0, shown=shown),
               OutputColumn("whole", "whole", wholes), OutputColumn("int", "whole", whole, shown=shown),
               OutputColumn("label", "label", labels))
    table = BatchResult(columns=columns, length=rows)
    ids_text = ["" if v is None else v for v in ids.to_pylist()]

    def cell(column: OutputColumn, i: int) -> str:
        if column.shown is not None and not column.shown[i]:
            return ""
        value = column.values[i]
        if column.kind == "amount":
            return f"{value:.2f}"
        if column.kind == "flag":
            return str(bool(value)).lower()
        if column.kind == "whole":
            return "" if np.isnan(value) else str(int(value))
        return str(value)

    expected = [[ids_text[i], str(whole[i]), *(cell(c, i) for c in columns[2:])] for i in range(rows)]
    assert b"".join(table.csv_chunks()) == expected_csv(table.header, expected)


def test_text_cells_of_every_length_are_copied_whole_by_the_loop(monkeypatch):
    """The loop copies short text cells a fixed number of bytes at a time, the next cell writing over what it copied
    past the end: cells of every length from empty to twenty bytes, in random order, the last of the file included."""
    monkeypatch.setattr("isoplan.tax.compiled.PROCESS.loaded", True)
    rows = 2000
    rng = np.random.default_rng(23)
    lengths = rng.integers(0, 21, (3, rows))
    texts = [["".join(chr(97 + (i + k) % 26) for k in range(n)) for i, n in enumerate(row)] for row in lengths]
    amounts = rng.uniform(-1e6, 1e6, rows)
    columns = (OutputColumn("t0", "input", pa.array(texts[0])), OutputColumn("amount", "amount", amounts),
               OutputColumn("t1", "input", pa.array(texts[1])), OutputColumn("t2", "input", pa.array(texts[2])))
    expected = [[texts[0][i], f"{amounts[i]:.2f}", texts[1][i], texts[2][i]] for i in range(rows)]
    table = BatchResult(columns=columns, length=rows)
    assert b"".join(table.csv_chunks()) == expected_csv(table.header, expected)

@pytest.mark.parametrize("rows", [1, 2, 255, 256, 257, 1001])  # one slice, a slice's edge, an odd tail
def test_text_columns_of_both_offset_widths_are_copied_whole_across_slices(rows, monkeypatch):
    """Text columns stored with 32- and 64-bit offsets, one a slice of a longer array (its offsets not starting at 0),
    are laid out for the loop a slice at a time: every cell in its place, at every slice's edge."""
    monkeypatch.setattr("isoplan.app.batch.CSV_SLICE_ROWS", 256)
    monkeypatch.setattr("isoplan.tax.compiled.PROCESS.loaded", True)
    rng = np.random.default_rng(rows)
    words = [["".join(chr(97 + (i * 7 + k) % 26) for k in range(n)) for i, n in enumerate(rng.integers(0, 12, rows))]
             for _ in range(3)]
    longer = pa.array(["skipped", "too", *words[2], "after"], pa.string()).slice(2, rows)
    amounts = rng.uniform(-1e6, 1e6, rows)
    columns = (OutputColumn("narrow", "input", pa.array(words[0], pa.string())),
               OutputColumn("wide", "input", pa.array(words[1], pa.large_string())),
               OutputColumn("amount", "amount", amounts), OutputColumn("sliced", "input", longer))
    expected = [[words[0][i], words[1][i], f"{amounts[i]:.2f}", words[2][i]] for i in range(rows)]
    table = BatchResult(columns=columns, length=rows)
    assert b"".join(table.csv_chunks()) == expected_csv(table.header, expected)


def test_recycled_chunks_are_the_same_bytes_from_a_few_buffers(monkeypatch):
    """A writer done with each chunk before it asks for the next gets the same bytes, later slices rendered into the
    memory of chunks already written: a buffer for each slice in flight, not one per slice."""
    monkeypatch.setattr("isoplan.app.batch.CSV_SLICE_ROWS", 256)
    monkeypatch.setattr("isoplan.tax.compiled.PROCESS.loaded", True)
    rows = 3000
    rng = np.random.default_rng(29)
    whole = rng.integers(-10**9, 10**9, rows)
    edgy = whole / 4
    edgy[-len(EDGE_AMOUNTS):] = EDGE_AMOUNTS  # the last slice written column by column, not by the loop
    columns = (OutputColumn("id", "input", pa.array([f"C{i}" for i in range(rows)])),
               OutputColumn("a", "amount", whole / 8), OutputColumn("flag", "flag", whole > 0),
               OutputColumn("edge", "amount", edgy))
    table = BatchResult(columns=columns, length=rows)
    copied, buffers = [], []
    for chunk in table.csv_chunks(recycle=True):
        copied.append(bytes(chunk))
        if isinstance(chunk, memoryview) and not any(chunk.obj is b for b in buffers):
            buffers.append(chunk.obj)
    assert b"".join(copied) == b"".join(table.csv_chunks()) == csv_bytes(table)
    assert len(copied) == 1 + 12 and len(buffers) <= 4 + 1  # a buffer for each of 4 slices in flight; the last's

@pytest.mark.parametrize("edge_from", [None, 2500])  # every amount plain; edge amounts in the last slice only
def test_plain_slices_are_written_by_the_loop_and_others_column_by_column(edge_from, monkeypatch):
    """The row loop checks each amount as it writes it: a slice of plain amounts (half cents, exact halves,
    whole dollars, hidden NaN) is written in one pass, and a slice with an amount the loop does not write
    itself (-0.00, NaN shown, 1e15) is written again column by column, the bytes the same either way."""
    import isoplan.app.batch as batch

    monkeypatch.setattr("isoplan.app.batch.CSV_SLICE_ROWS", 1024)
    monkeypatch.setattr("isoplan.tax.compiled.PROCESS.loaded", True)
    rows = 3000
    rng = np.random.default_rng(17)
    whole = rng.integers(-10**9, 10**9, rows)
    amounts = [whole / 8, whole / 100 + 0.005, np.trunc(rng.uniform(-1e6, 1e6, rows)), rng.uniform(-1e12, 1e12, rows)]
    shown = rng.random(rows) < 0.6
    hidden = np.where(shown, whole / 1000, np.nan)  # NaN only where not shown: a plain column
    if edge_from is not None:
        amounts[0][edge_from:edge_from + len(EDGE_AMOUNTS)] = EDGE_AMOUNTS
    columns = (*(OutputColumn(f"a{k}", "amount", v) for k, v in enumerate(amounts)),
               OutputColumn("hidden", "amount", hidden, shown=shown), OutputColumn("flag", "flag", whole > 0))
    table = BatchResult(columns=columns, length=rows)
    classified = []
    rendered = BatchResult._rendered

    def counting(self, start, stop, plain, *args, classify_amounts):
        classified.append((start, classify_amounts))
        return rendered(self, start, stop, plain, *args, classify_amounts=classify_amounts)

    monkeypatch.setattr(batch.BatchResult, "_rendered", counting)
    expected = [[*(f"{v[i]:.2f}" for v in amounts), f"{hidden[i]:.2f}" if shown[i] else "",
                 str(bool(whole[i] > 0)).lower()] for i in range(rows)]
    assert b"".join(table.csv_chunks()) == expected_csv(table.header, expected)
    again = sorted(start for start, classify in classified if classify)
    assert again == ([] if edge_from is None else [2048])


def test_csv_rows_are_quoted_as_the_csv_module_quotes_them():
    cells = ["plain", "a,b", 'say "hi"', "line\nbreak", "cr\rhere", "", " spaced ", "ünï", '"', ","]
    columns = [pa.array(cells), pa.array(list(reversed(cells)))]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(zip(cells, reversed(cells), strict=True))
    assert bytes(csv_text_rows(columns)) == buffer.getvalue().encode("utf-8")


def test_cells_are_stripped_of_what_str_strip_removes():
    assert set(PY_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def test_csv_cells_are_stripped_once_as_read_and_parquet_text_when_checked(tmp_path):
    from isoplan.app.household import PLAIN_NAMES

    path = tmp_path / "spaced.csv"
    path.write_text('year,filing_status,wages\n 2025 ,\u00a0mfj\t,"  1,200.5 "\n2026,single,\u3000\n', encoding="utf-8")
    table = read_batch(str(path), PLAIN_NAMES)
    assert table.stripped and table.columns["filing_status"].to_pylist() == ["mfj", "single"]
    assert table.columns["wages"].to_pylist() == ["1,200.5", ""]
    h = batch_households(table)
    assert h.wages.tolist() == [1200.5, 0.0] and h.filing_status.tolist() == [1, 0]
    parquet = tmp_path / "spaced.parquet"
    text = {"filing_status": [" mfj\t", "qss "], "wages": ["\u00a01,200.5 ", " "]}
    pq.write_table(pa.table({"year": [2025, 2026], **text}), parquet)
    typed = read_batch(str(parquet), PLAIN_NAMES)
    assert not typed.stripped  # Parquet text is stripped when checked
    h = batch_households(typed)
    assert h.wages.tolist() == [1200.5, 0.0] and h.filing_status.tolist() == [1, 4]


@pytest.mark.parametrize("space", PY_WHITESPACE)
def test_each_whitespace_around_one_columns_cells_is_stripped_and_the_other_columns_kept(tmp_path, space):
    from isoplan.app.household import PLAIN_NAMES

    path = tmp_path / "one_spaced.csv"
    path.write_text(f'year,filing_status,wages,client\n2025,mfj,"{space}1200{space}",a b\n2026,single,7,"c,d"\n',
                    encoding="utf-8", newline="")
    table = read_batch(str(path), PLAIN_NAMES)
    assert table.columns["wages"].to_pylist() == ["1200", "7"]
    assert table.columns["client"].to_pylist() == ["a b", "c,d"]  # inner space and comma kept
    assert table.columns["filing_status"].to_pylist() == ["mfj", "single"]


def test_parquet_text_with_line_ends_at_its_edges_is_stripped_as_str_strip_strips_it(tmp_path):
    from isoplan.app.household import PLAIN_NAMES

    parquet = tmp_path / "line_ends.parquet"
    pq.write_table(pa.table({"year": [2025, 2026], "filing_status": ["\r\nmfj\n", "single"]}), parquet)
    assert batch_households(read_batch(str(parquet), PLAIN_NAMES)).filing_status.tolist() == [1, 0]


def test_blank_lines_bom_crlf_and_quotes_read_as_the_csv_module_reads_them(tmp_path):
    rows = mixed_rows(10, seed=11)
    plain = tax_batch(TaxRequest({}), write_csv(tmp_path / "plain.csv", rows))
    text = (tmp_path / "plain.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    variant = "\ufeff" + "\r\n".join([lines[0], ",," * 0 + "," * (len(COLUMNS) - 1), *lines[1:4], "",
                                      *[f'"{line.split(",", 1)[0]}",{line.split(",", 1)[1]}' for line in lines[4:]]])
    path = tmp_path / "variant.csv"
    path.write_text(variant + "\r\n", encoding="utf-8", newline="")
    assert tax_batch(TaxRequest({}), str(path)).rows == plain.rows


@pytest.mark.parametrize("first", ["", "A"])  # the first column blank on some rows, or on none
def test_only_lines_of_empty_cells_are_left_out(tmp_path, first):
    from isoplan.app.household import PLAIN_NAMES

    path = tmp_path / "gaps.csv"
    path.write_text(f"client,year,filing_status,wages\n{first},2025,single,1\n,,,\nB,2026,mfj,\n\n{first},,hoh,3\n"
                    f"{first},2026,,\n", encoding="utf-8")
    table = read_batch(str(path), PLAIN_NAMES)
    assert len(table) == 4
    assert table.columns["client"].to_pylist() == [first, "B", first, first]
    assert table.columns["year"].to_pylist() == ["2025", "2026", "", "2026"]
    assert table.columns["wages"].to_pylist() == ["1", "", "3", ""]


# ---------------------------------------------------------------- Parquet


def test_parquet_out_holds_the_csv_figures_and_parquet_in_gives_the_same_outputs(tmp_path):
    from isoplan.cli.common import write_batch

    rows = mixed_rows(60, seed=7)
    rows[0]["client_id"] = "A,1"
    for i, row in enumerate(rows[1:], start=1):
        row["client_id"] = f"C{i:03d}"
    columns = ["client_id", *COLUMNS]
    source = write_csv(tmp_path / "in.csv", rows, columns)
    table = tax_batch(TaxRequest({}), source, keep=["client_id"])
    write_batch(str(tmp_path / "out.parquet"), table, "tax")
    back = pq.read_table(tmp_path / "out.parquet")
    assert back.column_names == list(table.header)
    assert back.column("client_id").to_pylist() == [row["client_id"] for row in rows]
    for k in OUTPUTS:
        assert [f"{v:.2f}" for v in back.column(k).to_pylist()] == [r[table.header.index(k)] for r in table.rows]
    assert back.column("projected").type == pa.bool_()

    typed = {"client_id": pa.array([row["client_id"] for row in rows])}
    for name in COLUMNS:
        cells = [row[name].strip().replace(",", "").replace("$", "") for row in rows]
        if name == "filing_status":
            typed[name] = pa.array(cells)
        elif name == "year":
            typed[name] = pa.array([int(c) for c in cells], pa.int16())
        else:
            typed[name] = pa.array([float(c) if c else None for c in cells], pa.float64())
    pq.write_table(pa.table(typed), tmp_path / "in.parquet")
    from_parquet = tax_batch(TaxRequest({}), str(tmp_path / "in.parquet"), keep=["client_id"])
    first = len(columns)
    assert [r[first:] for r in from_parquet.rows] == [r[first:] for r in table.rows]
    assert [r[0] for r in from_parquet.rows] == [row["client_id"] for row in rows]


def test_parquet_bad_values_name_the_row_and_column(tmp_path):
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"year": [2025, 2026], "filing_status": ["single", "mfj"], "wages": [1.0, np.nan]}), path)
    with pytest.raises(InputError, match=r"row 2, column wages: nan is not allowed"):
        tax_batch(TaxRequest({}), str(path))
    pq.write_table(pa.table({"year": [2025], "filing_status": ["single"], "wages": [True]}), path)
    with pytest.raises(InputError, match=r"row 1, column wages: True is not allowed; expected a number"):
        tax_batch(TaxRequest({}), str(path))
    path.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="a readable Parquet file"):
        room_batch(RoomRequest({}), str(path))


@pytest.mark.parametrize("kind", ["CSV", "Parquet"])
def test_a_batch_file_over_the_size_bound_missing_or_a_folder_is_refused_naming_it(tmp_path, monkeypatch, kind):
    from isoplan.app.household import PLAIN_NAMES

    suffix = ".parquet" if kind == "Parquet" else ".csv"
    path = tmp_path / f"in{suffix}"
    if kind == "Parquet":  # its size is taken from the file system, not by reading it
        pq.write_table(pa.table({"year": [2025], "filing_status": ["single"], "wages": [1.0]}), path)
    else:
        path.write_text("year,filing_status,wages\n2025,single,1\n", encoding="utf-8")
    size = path.stat().st_size
    monkeypatch.setattr("isoplan.app.batch.MAX_BATCH_BYTES", size - 1)
    with pytest.raises(InputError) as refused:
        read_batch(str(path), PLAIN_NAMES)
    assert str(refused.value) == (f"batch: {str(path)!r} is not allowed; expected a {kind} file of at most "
                                  f"{size - 1:,} bytes")
    monkeypatch.setattr("isoplan.app.batch.MAX_BATCH_BYTES", size)
    assert len(read_batch(str(path), PLAIN_NAMES)) == 1
    with pytest.raises(InputError, match=rf"a readable {kind} file \(No such file or directory\)"):
        read_batch(str(tmp_path / f"none{suffix}"), PLAIN_NAMES)
    (tmp_path / f"folder{suffix}").mkdir()
    with pytest.raises(InputError, match=rf"a readable {kind} file \(Is a directory\)"):
        read_batch(str(tmp_path / f"folder{suffix}"), PLAIN_NAMES)


# ---------------------------------------------------------------- --keep and refusals


def test_kept_columns_pass_through_in_their_places(tmp_path):
    path = tmp_path / "k.csv"
    path.write_text("client_id,year,filing_status,note,wages\nX-1,2026,single,\"Smith, J\",200000\n"
                    "X-2,2025,mfj,,400000\n", encoding="utf-8")
    table = tax_batch(TaxRequest({}), str(path), keep=["client_id", "note"])
    assert table.header[:5] == ("client_id", "year", "filing_status", "note", "wages")
    assert [r[:5] for r in table.rows] == [("X-1", "2026", "single", "Smith, J", "200000"),
                                           ("X-2", "2025", "mfj", "", "400000")]
    assert table.rows[0][table.header.index("regular_tax")] == "36734.00"
    assert b'X-1,2026,single,"Smith, J",200000,' in csv_bytes(table)
    rooms = room_batch(RoomRequest({}), str(path), keep=["client_id", "note"])
    assert rooms.header == ("client_id", "year", "filing_status", "note", "wages", "amt_room", "already_in_amt")


@pytest.mark.parametrize(("keep", "message"), [
    (["client"], "keep: 'client' is not allowed; expected a column of"),
    (["wages"], "keep: 'wages' is not allowed; expected a column the command does not read or add"),
])
def test_a_kept_column_must_be_a_column_that_is_not_read(tmp_path, keep, message):
    path = tmp_path / "k.csv"
    path.write_text("client_id,year,filing_status,wages\nX-1,2026,single,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        tax_batch(TaxRequest({}), str(path), keep=keep)
    with pytest.raises(InputError, match=message):
        room_batch(RoomRequest({}), str(path), keep=keep)



def test_a_large_files_columns_are_checked_several_at_a_time_naming_the_first_bad_cell_in_column_order(
        tmp_path, monkeypatch):
    import threading

    import isoplan.app.batch as batch
    from isoplan.app.household import PLAIN_NAMES

    rows = mixed_rows(300, seed=17)
    table = read_batch(write_csv(tmp_path / "ok.csv", rows), PLAIN_NAMES)
    one_at_a_time = batch_households(table)
    checked_in: set[str] = set()
    numbers = batch._numbers

    def noted(*args, **kwargs):
        checked_in.add(threading.current_thread().name)
        return numbers(*args, **kwargs)

    monkeypatch.setattr(batch, "_numbers", noted)
    monkeypatch.setattr(batch, "THREADED_CHECK_ROWS", len(rows))
    several = batch_households(table)
    assert threading.current_thread().name not in checked_in and checked_in
    for name in ("year", "filing_status", "wages", "amt_long_term_gain", "amt_disposition_adjustment"):
        assert np.array_equal(getattr(several, name), getattr(one_at_a_time, name)), name
    # a bad status far down and a bad amount near the top of a later column: the status is named, as one at a time
    rows[250]["filing_status"], rows[2]["wages"] = "married", "12k"
    with pytest.raises(InputError, match=r"row 251, column filing_status: 'married'"):
        batch_households(read_batch(write_csv(tmp_path / "bad.csv", rows), PLAIN_NAMES))
    rows[250]["filing_status"] = "mfj"
    with pytest.raises(InputError, match=r"row 3, column wages: '12k'"):
        batch_households(read_batch(write_csv(tmp_path / "bad.csv", rows), PLAIN_NAMES))

def test_unknown_columns_are_still_refused(tmp_path):
    path = tmp_path / "k.csv"
    path.write_text("client_id,year,filing_status,wages,salary\nX-1,2026,single,1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="column 'client_id'"):
        tax_batch(TaxRequest({}), str(path))
    with pytest.raises(InputError, match="column 'salary'"):
        tax_batch(TaxRequest({}), str(path), keep=["client_id"])
    with pytest.raises(InputError, match="column 'salary'"):
        room_batch(RoomRequest({}), str(path), keep=["client_id"])


@pytest.mark.parametrize(("cell", "message"), [
    ("12x", "row 3, column wages: '12x' is not allowed; expected a number"),
    ("inf", "row 3, column wages: 'inf' is not allowed; expected a number"),
    ("1e13", "row 3, column wages: '1e13' is not allowed; expected a number, at most 1,000,000,000,000 in size"),
    ("-5", "row 3, column wages: -5.0 is not allowed; expected a dollar amount of 0 or more"),
])
def test_a_bad_cell_is_named_by_row_column_and_value(tmp_path, cell, message):
    path = tmp_path / "b.csv"
    path.write_text(f"year,filing_status,wages\n2026,single,1\n\n2025,mfj,2\n2026,hoh,{cell}\n2026,single,-7\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        tax_batch(TaxRequest({}), str(path))
    assert message in str(err.value)


def test_the_first_bad_status_is_named_at_its_row(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("year,filing_status\n2026,single\n2026,Married\n2026,zz\n2026,married\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2, column filing_status: 'Married' is not allowed"):
        tax_batch(TaxRequest({}), str(path))


def test_ordinary_files_are_parsed_by_pyarrow_and_ragged_ones_named_by_the_csv_module(tmp_path):
    from isoplan.app.batch import _arrow_csv

    rows = mixed_rows(10, seed=11)
    path = write_csv(tmp_path / "plain.csv", rows)
    raw = (tmp_path / "plain.csv").read_bytes()
    assert _arrow_csv(raw, path) is not None
    assert _arrow_csv(b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"), path) is not None
    ragged = tmp_path / "ragged.csv"
    ragged.write_bytes(b"year,filing_status,wages\n2025,single,1\n\n2025,single\n")
    assert _arrow_csv(ragged.read_bytes(), str(ragged)) is None
    with pytest.raises(InputError, match="row 3, cells: 2 is not allowed; expected 3 cells"):
        tax_batch(TaxRequest({}), str(ragged))


def test_a_kept_parquet_column_must_be_writable_as_text(tmp_path):
    path = tmp_path / "k.parquet"
    pq.write_table(pa.table({"tags": [[1, 2]], "year": [2026], "filing_status": ["single"]}), path)
    with pytest.raises(InputError, match="a column of text, numbers, dates or true/false"):
        tax_batch(TaxRequest({}), str(path), keep=["tags"])


def test_a_large_result_builds_the_same_parquet_columns_in_threads(monkeypatch):
    rows = 3000
    rng = np.random.default_rng(23)
    shown = rng.random(rows) < 0.5
    columns = (OutputColumn("id", "input", pa.array([f"C{i}" for i in range(rows)])),
               OutputColumn("amount", "amount", rng.uniform(-1e6, 1e6, rows)),
               OutputColumn("hidden", "amount", np.resize(np.array(EDGE_AMOUNTS), rows), shown=shown),
               OutputColumn("flag", "flag", shown), OutputColumn("whole", "whole", np.trunc(rng.uniform(0, 1e9, rows))),
               OutputColumn("label", "label", np.resize(np.array(["federal", "california"]), rows)))
    table = BatchResult(columns=columns, length=rows)
    one_by_one = table.arrow_table()  # fewer rows than a slice: built column after column
    monkeypatch.setattr("isoplan.app.batch.CSV_SLICE_ROWS", 1024)
    in_threads = table.arrow_table()
    assert in_threads.schema.equals(one_by_one.schema) and in_threads.column_names == list(table.header)
    for threaded, serial in zip(in_threads.columns, one_by_one.columns, strict=True):  # repr: NaN as NaN, -0.0 as -0.0
        assert [repr(v) for v in threaded.to_pylist()] == [repr(v) for v in serial.to_pylist()]


@pytest.mark.parametrize("cells, start, stop, special", [
    (["C0000001", "2025", "-5", "mfj", "é"], 0, 5, False),  # every byte above a comma: no search
    (["a b", "x!y", "#", "+1", "\t"], 0, 5, False),  # bytes below a comma, none that is quoted
    (["a,b"], 0, 1, True), (['a"b'], 0, 1, True), (["a\rb"], 0, 1, True), (["a\nb"], 0, 1, True),
    (["a,b", "cd", " e", 'g"h'], 1, 3, False),  # the quoted bytes outside the slice
    (["a,b", "cd", " e", 'g"h'], 0, 2, True), (["a,b", "cd", " e", 'g"h'], 2, 4, True),
    ([], 0, 0, False), (["", ""], 0, 2, False),
])
def test_cells_that_need_quoting_are_found_in_a_columns_own_bytes(cells, start, stop, special):
    import isoplan.app.batch as batch

    assert batch._has_special(pa.array(cells, pa.string()).slice(start, stop - start)) is special
