# Set-up is two commands: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench xcheck-env clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the warm steps load (or, once after an install, compile) the engine's, the room solver's and the batch file
# writer's compiled code, so no command waits for it (the demo's plan loads the optimizer's)
demo: $(STAMP)
	$(BIN)/python -m isoplan.tax.compiled
	$(BIN)/python -m isoplan.planning.room_kernel
	$(BIN)/python -m isoplan.app.batch_csv
	$(BIN)/isoplan demo

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The independent engines for the cross-check tests (PSL Tax-Calculator on Python 3.12; PolicyEngine-US).
xcheck-env:
	bash tests/crosscheck/setup_taxcalc.sh
	bash tests/crosscheck/setup_policyengine.sh

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_floor.py
	$(BIN)/python benchmarks/bench_room.py
	$(BIN)/python benchmarks/bench_plan.py
	$(BIN)/python benchmarks/bench_risk.py
	$(BIN)/python benchmarks/bench_web.py

clean:
	rm -rf $(VENV) .venv-taxcalc .venv-policyengine .pytest_cache .ruff_cache
