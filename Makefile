# Two entry points for a fresh machine (Python >= 3.11, pip, make):
#   make demo   runs the main job on the embedded default (shipped demo portfolio)
#   make test   runs ruff, mypy --strict, import-linter and pytest (with doctests)
# Both create .venv in the repo root and install computefin[dev] into it when missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck layers pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/computefin demo

lint: $(STAMP)
	$(BIN)/ruff check computefin tests benchmarks examples scripts
	$(BIN)/ruff format --check computefin tests benchmarks examples scripts

typecheck: $(STAMP)
	$(BIN)/mypy --strict computefin

layers: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

test: lint typecheck layers pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info
