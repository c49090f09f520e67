"""The safety rules: loopback Host only, CSRF on writes, JSON bodies, same origin, CSP on every response."""

from __future__ import annotations

import subprocess
import sys

import pytest

from isoplan.cli import build_parser
from isoplan.web.app import CSP, PAGES

from .conftest import PORT, Client

EXERCISE = {"id": "x", "grant": "g", "date": "2025-01-02", "shares": "1", "fmv": "1"}


@pytest.mark.parametrize("host", ["evil.example", f"evil.example:{PORT}", "127.0.0.1:9999", "localhost",
                                  f"192.168.1.5:{PORT}", f"127.0.0.1.nip.io:{PORT}"])
def test_foreign_host_is_refused(app, host):
    for method, path in (("GET", "/"), ("GET", "/api/ledger"), ("POST", "/api/ledger/exercise")):
        r = Client(app, host=host).request(method, path, EXERCISE if method == "POST" else None)
        assert r.status == 421, (host, path)
        assert r.headers["Content-Security-Policy"] == CSP


def test_missing_host_is_400(app):
    assert Client(app, host="").get("/").status == 400


@pytest.mark.parametrize("host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"LOCALHOST:{PORT}"])
def test_own_host_is_served(app, host):
    assert Client(app, host=host).get("/").status == 200


def test_post_needs_the_csrf_token(app, client):
    r = Client(app, csrf=False).post("/api/ledger/exercise", EXERCISE)
    assert r.status == 403 and "CSRF" in r.json()["error"]["message"]
    r = client.post("/api/ledger/exercise", EXERCISE, headers={"X-CSRF-Token": "guess"})
    assert r.status == 403
    assert client.get("/api/ledger").json()["exists"] is False  # nothing was written


def test_every_post_endpoint_checks_csrf(app):
    posts = [path for (method, path) in app.routes if method == "POST"]
    assert len(posts) >= 9
    for path in posts:
        assert Client(app, csrf=False).post(path, {}).status == 403, path


def test_post_must_be_json(client):
    r = client.post("/api/ledger/grant", raw=b"id=x&company=y", content_type="application/x-www-form-urlencoded")
    assert r.status == 415
    r = client.post("/api/ledger/grant", raw=b"{not json")
    assert r.status == 400
    r = client.post("/api/ledger/grant", raw=b"[1, 2]")
    assert r.status == 400


def test_cross_origin_post_is_refused(client):
    r = client.post("/api/ledger/grant", {}, headers={"Origin": "http://evil.example"})
    assert r.status == 403
    r = client.post("/api/plan/check", {}, headers={"Origin": f"http://127.0.0.1:{PORT}"})
    assert r.status == 200


def test_token_is_in_the_page_and_differs_per_app(app, client):
    from isoplan.web import create_app

    page = client.get("/").text
    assert f'<meta name="csrf-token" content="{app.csrf_token}">' in page
    assert create_app().csrf_token != app.csrf_token


def test_csp_forbids_outside_sources(client):
    assert "default-src 'self'" in CSP and "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    for path in [*PAGES, "/static/app.js", "/api/ledger", "/nope"]:
        r = client.get(path)
        assert r.headers["Content-Security-Policy"] == CSP, path
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"


def test_pages_load_nothing_from_outside(client):
    import re

    for path in PAGES:
        page = client.get(path).text
        assert re.findall(r'(?:src|href)="(https?:)?//', page) == [], path
        assert "<script>" not in page and "style=" not in page  # no inline script or style (CSP)
        for label_for in re.findall(r'<input id="([^"]+)"', page):
            assert f'for="{label_for}"' in page, (path, label_for)  # every input has a label


def test_static_files_only_from_the_package(client):
    assert client.get("/static/app.css").status == 200
    assert client.get("/static/charts.js").headers["Content-Type"].startswith("text/javascript")
    for bad in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/", "/static/nope.js",
                "/static/../../etc/passwd"):
        assert client.get(bad).status == 404, bad


def test_unknown_path_and_method(client):
    assert client.get("/nope").status == 404
    assert client.get("/api/plan").status == 405
    assert client.request("DELETE", "/api/ledger").status == 405


def test_serve_is_a_command_and_help_stays_light():
    parser = build_parser()
    args = parser.parse_args(["serve", "--port", "0", "--db", "x.db"])
    assert args.port == 0 and args.db == "x.db" and args.open is False
    code = ("import sys; from isoplan.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "bad = [m for m in sys.modules if m.startswith(('isoplan.web', 'numpy', 'wsgiref'))]\n"
            "print('LOADED:' + ','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "LOADED:"


def test_serve_bad_port(capsys):
    from isoplan.cli import main

    assert main(["serve", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


def test_serve_prints_its_loopback_address(tmp_path):
    import os
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "isoplan", "serve", "--port", "0", "--db", str(tmp_path / "l.db")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("isoplan serve: http://127.0.0.1:"), line
        port = int(line.split("127.0.0.1:")[1].split("/")[0])
        import urllib.request

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{port}/", timeout=10) as res:
            assert res.status == 200 and b"isoplan" in res.read()
    finally:
        os.kill(proc.pid, signal.SIGINT)
        deadline = time.time() + 10
        while proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_a_page_rendered_once_still_holds_the_current_token(app, client):
    first = client.get("/ledger")
    assert first.body == client.get("/ledger").body == app.page("/ledger").encode()
    app.csrf_token = "another-token"
    again = client.get("/ledger").text
    assert '<meta name="csrf-token" content="another-token">' in again
    assert client.get("/").body == app.page("/").encode()
    head = client.request("HEAD", "/plan")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(app.page_bytes("/plan")))
