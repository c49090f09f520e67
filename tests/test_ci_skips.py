"""Under CI a skip fails the run; an expected failure does not (tests/conftest.py)."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).with_name("conftest.py")).read_text(encoding="utf-8")

INNER = """
import pytest

def test_passes():
    assert True

def test_skips():
    pytest.skip("no engine here")

def test_imports_what_is_missing():
    pytest.importorskip("a_module_that_is_not_installed")

@pytest.mark.xfail(reason="known", strict=True)
def test_expected_failure():
    assert False
"""


def test_a_skip_is_a_failure_under_ci(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*skipped under CI*no engine here*"])


def test_a_skip_is_a_skip_outside_ci(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)
    assert result.ret == pytest.ExitCode.OK


def test_a_module_skipped_at_collection_fails_the_run_under_ci(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_browserish='import pytest\npytest.importorskip("a_module_that_is_not_installed")\n'
                        "def test_never_runs():\n    assert True\n",
        test_other="def test_passes():\n    assert True\n",
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*skipped under CI (counts as a failure)*",
                                 "test_browserish.py: Skipped: could not import*"])


def test_hypothesis_is_derandomized_without_deadline_under_ci(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_inner="""
from hypothesis import settings

def test_profile():
    assert settings().deadline is None
    assert settings().derandomize
""")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
