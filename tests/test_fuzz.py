"""Fuzz tests: random command lines, batch CSVs, plan files and web requests end in exit status 0 or 2
(HTTP 200 or 4xx), never a traceback, never ``Infinity`` or ``NaN`` in the output, each example in bounded
time. Few examples each, small inputs: the whole file runs in well under a minute."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isoplan.cli import main

ROOT = Path(__file__).resolve().parent.parent
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
NOT_FINITE = re.compile(r"\b(Infinity|NaN|-Infinity)\b|\$inf|\$nan", re.IGNORECASE)

#: numbers as a user (or an attacker) might type them
numbers = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["inf", "-inf", "nan", "1e400", "1e308", "-0", "", "abc", "1,000", "$5", "0x10", "1_0",
                     "2025.0", "true", "99999999999999999999"]),
)


def _run(capsys, argv: list[str]) -> None:
    code = main(argv)
    out, err = capsys.readouterr()
    allowed = (0, 1, 2) if argv[-1:] == ["check"] else (0, 2)  # ledger check: 1 means a problem was found
    assert code in allowed, (argv, err)
    assert "Traceback" not in err, err
    assert not NOT_FINITE.search(out), out[:400]
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err


@FUZZ
@given(cmd=st.sampled_from(["tax", "room", "cost"]), year=numbers | st.sampled_from(["2024", "2025"]),
       status=st.sampled_from(["single", "mfj", "x", ""]), wages=numbers, fmv=numbers, strike=numbers,
       shares=numbers, json_out=st.booleans())
def test_random_household_commands(capsys, cmd, year, status, wages, fmv, strike, shares, json_out):
    argv = [cmd, f"--year={year}", f"--status={status}", f"--wages={wages}"]
    if cmd in ("room", "cost"):
        argv += [f"--fmv={fmv}", f"--strike={strike}"]
    if cmd == "cost":
        argv += [f"--shares={shares}"]
    if json_out:
        argv.append("--json")
    _run(capsys, argv)


@settings(FUZZ, max_examples=12)
@given(shares=numbers, strike=numbers, fmv=numbers, price=numbers, months=numbers, day=st.dates().map(str))
def test_random_ledger_commands(capsys, tmp_path_factory, shares, strike, fmv, price, months, day):
    db = str(tmp_path_factory.mktemp("fuzz") / "l.db")
    base = ["ledger", "--db", db]
    _run(capsys, [*base, "add-grant", "G", "--company", "A", "--kind", "iso", "--date", "2022-01-15",
                  f"--shares={shares}", f"--strike={strike}", f"--vest-months={months}"])
    _run(capsys, [*base, "add-grant", "H", "--company", "A", "--kind", "iso", "--date", "2022-01-15",
                  "--shares", "100", "--strike", "1", "--vested"])
    _run(capsys, [*base, "exercise", "L", "--grant", "H", f"--date={day}", "--shares", "10", f"--fmv={fmv}"])
    _run(capsys, [*base, "sell", "S", "--lot", "L", f"--date={day}", f"--shares={shares}", f"--price={price}"])
    _run(capsys, [*base, "income", "2024", "--status", "single", f"--wages={price}"])
    _run(capsys, [*base, "edit", "lot", "L", f"--fmv={fmv}"])
    for sub in (["grants", "--json"], ["lots", "--json"], ["sales", "--json"], ["years", "--json"],
                ["vest-schedule", "--json"], ["check"]):
        _run(capsys, [*base, *sub])


cells = st.one_of(numbers, st.sampled_from(["single", "mfj", "2025", "2024"]), st.text(max_size=5))
columns = st.sampled_from(["year", "filing_status", "wages", "charitable", "iso_bargain_element", "bogus", ""])


@settings(FUZZ, max_examples=15)
@given(header=st.lists(columns, min_size=1, max_size=5),
       rows=st.lists(st.lists(cells, max_size=6), max_size=4), junk=st.binary(max_size=8))
def test_random_batch_files(capsys, tmp_path_factory, header, rows, junk):
    folder = tmp_path_factory.mktemp("batch")
    text = "\n".join(",".join(r) for r in [header, *rows]).encode("utf-8", "surrogatepass") + junk
    batch = folder / "in.csv"
    batch.write_bytes(text)
    _run(capsys, ["tax", "--batch", str(batch), "--out", str(folder / "out.csv")])
    assert batch.read_bytes() == text
    _run(capsys, ["room", "--batch", str(batch), "--spread-per-share", "5"])


PLAN = (ROOT / "examples" / "staging-three-years.toml").read_text(encoding="utf-8")
PLAN_VALUES = re.compile(r"^(\w+) = (.+)$", re.MULTILINE)
toml_values = st.sampled_from(["inf", "nan", "-1", "0", "1e308", "2035-11-15T00:00:00", "12:00:00", '"x"',
                               "[1, [2, [3]]]", "{a = 1}", "true", "400", "2025-01-01", "0.5", "99999999999"])


@FUZZ
@given(index=st.integers(min_value=0, max_value=200), value=toml_values)
def test_random_plan_files(capsys, tmp_path_factory, index, value):
    keys = PLAN_VALUES.findall(PLAN)
    key, old = keys[index % len(keys)]
    text = PLAN.replace(f"{key} = {old}", f"{key} = {value}", 1)
    path = tmp_path_factory.mktemp("plan") / "plan.toml"
    path.write_text(text, encoding="utf-8")
    _run(capsys, ["plan", str(path), "--json", "--grid", "4"])


@pytest.fixture(scope="module")
def web_app(tmp_path_factory):
    from isoplan.web.app import create_app

    return create_app(db=str(tmp_path_factory.mktemp("web") / "web.db"), port=8765)


def _call(app, method, path, query="", body=b"", length=None):
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": "127.0.0.1:8765",
           "wsgi.input": io.BytesIO(body), "CONTENT_TYPE": "application/json", "HTTP_X_CSRF_TOKEN": app.csrf_token}
    if length is not None:
        env["CONTENT_LENGTH"] = length
    seen = {}
    out = b"".join(app(env, lambda status, headers: seen.update(status=status)))
    return int(seen["status"].split()[0]), out


@FUZZ
@given(method=st.sampled_from(["GET", "HEAD", "POST", "PUT"]),
       path=st.sampled_from(["/api/room", "/api/ledger/grant", "/api/ledger/income", "/api/plan/check", "/",
                             "/nope", "/api/ledger/sale"]),
       fields=st.dictionaries(st.sampled_from(["year", "filing_status", "wages", "fmv", "strike", "shares", "id",
                                               "company", "kind", "date", "price", "toml"]),
                              numbers, max_size=6),
       length=st.one_of(st.none(), st.sampled_from(["-5", "abc", "0", "99999999999"])))
def test_random_web_requests(web_app, method, path, fields, length):
    from urllib.parse import urlencode

    body = json.dumps(fields).encode()
    status, out = _call(web_app, method, path, urlencode(fields), body, str(len(body)) if length is None else length)
    assert status == 200 or 400 <= status < 500, (status, out[:300])
    assert not NOT_FINITE.search(out.decode("utf-8", "replace")) or path == "/", out[:300]
