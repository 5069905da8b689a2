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

.PHONY: install assets messages run test lint typecheck pytest browser screenshots postgres chromium bench clean

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

WEB := src/huzhu/web
LOCALE := $(WEB)/locale

# Front-end libraries come from npm at install time (never committed), and the message catalogues
# are compiled here: the .po files are the source, the .mo files are built.
VENDOR := $(WEB)/static/vendor/chart.umd.min.js
MO := $(LOCALE)/zh/LC_MESSAGES/huzhu.mo $(LOCALE)/en/LC_MESSAGES/huzhu.mo

install: $(BIN)/huzhu $(TOOLS)/openapi-python-client $(VENDOR) $(MO)

assets: $(VENDOR) $(MO)

$(VENDOR): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(dir $@)
	cp node_modules/chart.js/dist/chart.umd.min.js $@

$(LOCALE)/%/LC_MESSAGES/huzhu.mo: $(LOCALE)/%/LC_MESSAGES/huzhu.po $(BIN)/huzhu
	$(BIN)/pybabel compile --domain huzhu --directory $(LOCALE) --locale $*

# Extract every text of the web pages and merge it into the catalogues; translate what is new
# (tests/web/test_catalogues.py fails on any empty msgstr), then `make install` compiles them.
messages: $(BIN)/huzhu
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ --ignore-dirs ".* node_modules" \
	  --no-location --sort-output --omit-header -o $(LOCALE)/huzhu.pot .
	$(BIN)/pybabel update --domain huzhu --input-file $(LOCALE)/huzhu.pot \
	  --output-dir $(LOCALE) --no-fuzzy-matching --ignore-obsolete

# The browser journeys alone (Debian's Chromium at /usr/bin/chromium; `make pytest` runs them too).
browser: install postgres chromium
	$(BIN)/pytest -m browser tests/web/browser

# Key pages at phone and desktop widths, for the README.
screenshots: install
	$(BIN)/python tests/web/browser/screenshots.py docs/screenshots

run: install
	@if [ ! -f $(DB) ]; then \
	  $(BIN)/huzhu --database sqlite:///$(DB) init && \
	  $(BIN)/huzhu --database sqlite:///$(DB) demo --members $(DEMO_MEMBERS) --months $(DEMO_MONTHS) \
	    --address http://$(HOST):$(PORT)/; \
	fi
	$(BIN)/huzhu --database sqlite:///$(DB) init   # migrations are a deploy step: run them first
	$(BIN)/huzhu --database sqlite:///$(DB) audit
	HUZHU_COOKIE_SECURE=0 $(BIN)/huzhu --database sqlite:///$(DB) serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

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
