# The two commands: `make demo` runs the demo, `make test` runs every test.
# Both create .venv and install the pinned dependencies when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint format system-deps clean

demo: $(STAMP)
	$(BIN)/apmt demo

test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || $(MAKE) --no-print-directory apt-python-venv
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# Debian and Ubuntu ship venv separately.
apt-python-venv:
	apt-get update -q && apt-get install -y -q python3-venv

# Packages from the system that the tests drive (a browser for the UI tests).
system-deps:
	@bash scripts/system-deps.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
