#!/usr/bin/env bash
# Create .venv-taxcalc (Python 3.12) at the repo root with a pinned PSL
# Tax-Calculator for the independent-engine cross-check harness.
# Idempotent: does nothing if the venv already has the pinned versions.
# Exits 0 with a message (no error) when no Python 3.12 is available.
set -euo pipefail

TAXCALC_VERSION="6.8.5"
# Exact pins for taxcalc 6.8.5 and its whole dependency closure (resolved
# from PyPI with Python 3.12.1).  Change them together.
PINS=(
  "taxcalc==${TAXCALC_VERSION}"
  "numpy==2.5.5"
  "pandas==3.1.1"
  "numba==0.67.0"
  "llvmlite==0.49.0"
  "paramtools==0.20.0"
  "marshmallow==4.4.0"
  "fsspec==2026.9.0"
  "sortedcontainers==2.4.0"
  "bokeh==3.10.2"
  "Jinja2==3.1.6"
  "MarkupSafe==3.0.4"
  "narwhals==2.29.0"
  "packaging==26.4"
  "pillow==13.0.0"
  "python-dateutil==4.0.0"
  "PyYAML==6.0.4"
  "tornado==6.6.1"
  "tzdata==2026.6"
  "xyzservices==2026.9.1"
)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${REPO_ROOT}/.venv-taxcalc"

# A pyenv shim named python3.12 can be on PATH yet fail to run, so test it.
find_py312() {
  local c
  if command -v python3.12 >/dev/null 2>&1 \
     && python3.12 -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then
    command -v python3.12
    return 0
  fi
  for c in /root/.pyenv/versions/3.12*/bin/python3.12; do
    if [ -x "$c" ] && "$c" -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

if [ -x "${VENV}/bin/python" ] && "${VENV}/bin/python" - "${TAXCALC_VERSION}" <<'PYEOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
assert sys.version_info[:2] == (3, 12)
assert version("taxcalc") == sys.argv[1]
PYEOF
then
  echo "setup_taxcalc: ${VENV} already has taxcalc ${TAXCALC_VERSION}; nothing to do."
  exit 0
fi

if ! PY312="$(find_py312)"; then
  echo "setup_taxcalc: no working python3.12 found (PATH or /root/.pyenv/versions/3.12*); skipping taxcalc cross-check setup."
  exit 0
fi

echo "setup_taxcalc: creating ${VENV} with ${PY312}"
rm -rf "${VENV}"
"${PY312}" -m venv "${VENV}"
"${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
"${VENV}/bin/python" -c 'import taxcalc; print("setup_taxcalc: taxcalc", taxcalc.__version__, "installed")'
