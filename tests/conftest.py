"""Shared test set-up.

* A silent NaN or overflow fails the test (as in Tax-Calculator's conftest).
* Under CI (``CI`` set, as ``.ci/run`` does) a skipped test is a failed test:
  a missing browser, Playwright or cross-check engine must not pass quietly.
  Expected failures (``xfail``) are not skips and stay as they are.
* Under CI Hypothesis has no deadline and is derandomized, so a slow shared
  machine cannot fail a run and every run tries the same examples.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from isoplan.tax.law import LawTable

np.seterr(all="raise")

settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _in_ci() -> bool:
    return bool(os.environ.get("CI"))


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)  # outermost: sees xfail already marked
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Under CI, turn a skipped test (setup or call) into a failure that says why it was skipped."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if _in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI (CI={os.environ['CI']}), which counts as a failure: {_skip_reason(report)}"


_collection_skips: list[str] = []


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """Remember modules skipped whole at collection (``pytest.importorskip``, ``allow_module_level``)."""
    if _in_ci() and report.skipped:
        _collection_skips.append(f"{report.nodeid}: {_skip_reason(report)}")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    if _collection_skips:
        terminalreporter.section("skipped under CI (counts as a failure)", red=True)
        for line in _collection_skips:
            terminalreporter.line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI a module skipped at collection fails the run (the tests in it never ran)."""
    if _collection_skips and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def law() -> LawTable:
    from isoplan.tax.law import law_table

    return law_table(0.025)
