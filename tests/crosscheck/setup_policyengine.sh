#!/usr/bin/env bash
# Create .venv-policyengine at the repo root with a pinned PolicyEngine-US for the
# California cross-check (tests/crosscheck/test_policyengine_california.py).
# Idempotent: does nothing if the venv already has the pinned version.
# Exits 0 with a message (no error) when no suitable Python or no install is possible.
# The first install takes about 8 minutes (many dependencies).
set -euo pipefail

PE_VERSION="2.68.0"
# policyengine-core is pinned too: it evaluates the model, and a newer core can
# change results under the same policyengine-us. Change them together.
PINS=(
  "policyengine-us==${PE_VERSION}"
  "policyengine-core==3.33.12"
)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${REPO_ROOT}/.venv-policyengine"

# policyengine-us 2.68.0 supports Python 3.11-3.13; prefer 3.11 (the version it was checked with).
find_python() {
  local c
  for c in python3.11 python3 /root/.pyenv/versions/3.11*/bin/python3.11; do
    if command -v "$c" >/dev/null 2>&1 \
       && "$c" -c 'import sys; assert (3, 11) <= sys.version_info[:2] <= (3, 13)' >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

if [ -x "${VENV}/bin/python" ] && "${VENV}/bin/python" - "${PE_VERSION}" <<'PYEOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
assert version("policyengine-us") == sys.argv[1]
PYEOF
then
  echo "setup_policyengine: ${VENV} already has policyengine-us ${PE_VERSION}; nothing to do."
  exit 0
fi

if ! PY="$(find_python)"; then
  echo "setup_policyengine: no Python 3.11-3.13 found; skipping the PolicyEngine-US cross-check setup."
  exit 0
fi

echo "setup_policyengine: creating ${VENV} with ${PY} (about 8 minutes the first time)"
rm -rf "${VENV}"
"${PY}" -m venv "${VENV}"
if ! "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"; then
  rm -rf "${VENV}"
  echo "setup_policyengine: pip install of ${PINS[*]} failed; skipping the PolicyEngine-US cross-check setup."
  exit 0
fi
"${VENV}/bin/python" -c 'from importlib.metadata import version; print("setup_policyengine: policyengine-us", version("policyengine-us"), "installed")'
