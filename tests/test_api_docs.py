"""docs/api.md: every ```python block runs as written (from the repository root), and the API is the package's."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "api.md").read_text(encoding="utf-8"), re.S)


def test_the_doc_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i + 1}" for i in range(len(BLOCKS))])
def test_each_example_runs(block):
    done = subprocess.run([sys.executable, "-c", block], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_the_first_example_prints_the_room():
    done = subprocess.run([sys.executable, "-c", BLOCKS[0]], cwd=ROOT, capture_output=True, text=True, timeout=300)
    # $200,000 of wages in 2026, single: the hand-solved room of tests/planning/test_room_boundaries.py ($31,384)
    # at $50 of spread a share is 627 whole shares (31,384 / 50 = 627.68)
    assert done.stdout.splitlines()[0] == "627 shares ($31,384 of spread) with no AMT"
    assert "wages: -5.0 is not allowed" in done.stdout


def test_every_documented_function_is_exported():
    import isoplan
    from isoplan import api

    documented = set(re.findall(r"`isoplan\.([a-z_]+)\(", (ROOT / "docs" / "api.md").read_text(encoding="utf-8")))
    assert documented <= set(api.__all__)
    for name in api.__all__:
        assert callable(getattr(isoplan, name))


def test_import_isoplan_loads_no_numpy():
    code = "import sys, isoplan; print('numpy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
