# The two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
export KALRAV_DATA_DIR ?= $(CURDIR)/var
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev assets peers lint typecheck check messages clean

run: install assets
	$(BIN)/kalrav migrate --noinput
	$(BIN)/kalrav demo
	$(BIN)/kalrav serve --host $(HOST) --port $(PORT)

test: install-dev assets peers
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy kalrav

check: lint typecheck test

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
assets: kalrav/static/vendor/fonts.css

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Kalrav needs Python 3.11, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The C extensions (setup.py) are compiled by the install, so a changed source or header
# reinstalls.
NATIVE_SOURCES := $(shell find kalrav -name '*.c' -o -name '*.h')

$(VENV)/.installed: pyproject.toml setup.py $(NATIVE_SOURCES) | $(VENV)/bin/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml nlp_training/pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e ".[dev]" -e "./nlp_training[tune]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

kalrav/static/vendor/fonts.css: node_modules/.installed scripts/build_assets.mjs
	node scripts/build_assets.mjs

# Real servers the live tests talk to (see tests/peers/): Bluesky's reference network from npm.
peers: tests/peers/atproto/node_modules/.installed tests/peers/.synapse-venv/.installed

tests/peers/atproto/node_modules/.installed: tests/peers/atproto/package.json tests/peers/atproto/package-lock.json
	cd tests/peers/atproto && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Synapse (Matrix) in a venv of its own: its pinned dependencies stay out of Kalrav's.
tests/peers/.synapse-venv/.installed:
	$(PYTHON) -m venv tests/peers/.synapse-venv
	tests/peers/.synapse-venv/bin/pip install -q "matrix-synapse==1.163.2"
	touch $@

# Rebuild the five catalogues after changing user-facing strings (needs GNU gettext).
messages: install-dev
	cd kalrav && ../$(BIN)/kalrav makemessages --no-obsolete -l bn -l hi -l gu -l el -l en --ignore 'static/vendor/*'
	cd kalrav && ../$(BIN)/kalrav makemessages -d djangojs --no-obsolete -l bn -l hi -l gu -l el -l en --ignore 'static/vendor/*'
	$(BIN)/python scripts/compile_messages.py

clean:
	rm -rf $(VENV) node_modules kalrav/static/vendor
