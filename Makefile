# CityLoop developer commands. `make run` serves both apps on the local stack;
# `make test` runs the whole suite (the e2e tests need Debian's chromium).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Stamps: reinstall only when pyproject.toml changes (or the venv is new).
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test bench clean

run: $(RUN_STAMP)
	$(BIN)/cityloop run

test: $(DEV_STAMP)
	$(BIN)/pytest

bench: $(DEV_STAMP)
	@set -e; found=0; for f in bench/[!_]*.py; do [ -e "$$f" ] || continue; found=1; echo "== $$f"; $(BIN)/python "$$f"; done; \
	[ $$found = 1 ] || echo "no benchmarks in bench/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $@

# The dev install includes everything `run` needs.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[dev]'
	touch $@ $(RUN_STAMP)

# Build and test leftovers; keeps .venv and the local stack's data (.cityloop/).
clean:
	rm -rf build dist *.egg-info .pytest_cache .hypothesis $(RUN_STAMP) $(DEV_STAMP)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
