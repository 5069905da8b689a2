# Two commands for a fresh machine:
#   make run   - install huzhu, create the embedded SQLite database with the plan templates and a
#                demo population if there is none yet, and run huzhu's main job.
#   make test  - install everything and run lint, type check and the whole test suite on SQLite
#                and on PostgreSQL.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= huzhu.db
DEMO_MEMBERS ?= 20000
DEMO_MONTHS ?= 6
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint typecheck pytest postgres chromium bench clean

$(BIN)/huzhu: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# openapi-python-client (the contract test's independent client generator) pins an older Typer
# than huzhu's CLI uses, so it lives in a virtualenv of its own.
TOOLS := .venv-tools/bin
$(TOOLS)/openapi-python-client:
	$(PYTHON) -m venv .venv-tools
	$(TOOLS)/python -m pip install --quiet 'openapi-python-client>=0.21'

install: $(BIN)/huzhu $(TOOLS)/openapi-python-client

run: install
	@if [ ! -f $(DB) ]; then \
	  $(BIN)/huzhu --database sqlite:///$(DB) init && \
	  $(BIN)/huzhu --database sqlite:///$(DB) demo --members $(DEMO_MEMBERS) --months $(DEMO_MONTHS) \
	    --address http://$(HOST):$(PORT)/; \
	fi
	$(BIN)/huzhu --database sqlite:///$(DB) init   # migrations are a deploy step: run them first
	$(BIN)/huzhu --database sqlite:///$(DB) audit
	$(BIN)/huzhu --database sqlite:///$(DB) serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

postgres:
	@scripts/ensure-postgres.sh

chromium:
	@scripts/ensure-chromium.sh

pytest: install postgres chromium
	$(BIN)/pytest

test: lint typecheck pytest

bench: install postgres
	$(BIN)/python bench/round_scale.py --db sqlite --members 1000000 --rounds 2
	$(BIN)/python bench/round_scale.py --db postgresql --members 1000000 --rounds 2
	$(BIN)/python bench/forecast_scale.py

clean:
	rm -rf $(VENV) .venv-tools .pytest_cache .mypy_cache .ruff_cache
