# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
# Root installs packages itself; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run once test unit integration browser chromium screenshots lint typecheck check bench chaos profile contracts clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start nats-server, PostgreSQL, the four services and a simulated national round (Ctrl-C stops all).
run: $(STAMP)
	$(BIN)/baocao up $(ARGS)

## The same, but exit 0 after printing the round's summary.
once: $(STAMP)
	$(BIN)/baocao up --once $(ARGS)

## The whole suite: unit, integration, end-to-end and browser tests against a real nats-server,
## PostgreSQL and Chromium (installed first if missing).
test: $(STAMP) chromium
	$(BIN)/python -m pytest $(ARGS)

## Debian's Chromium and a font with Vietnamese diacritics, for the browser tests (once, ~20 s).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium and fonts-dejavu-core for the browser tests (docs/web.md) ..."; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    chromium fonts-dejavu-core >/dev/null; }

browser: $(STAMP) chromium
	$(BIN)/python -m pytest tests/browser $(ARGS)

## Screenshots of every web view with a simulated round's data, into docs/screenshots/.
screenshots: $(STAMP) chromium
	$(BIN)/baocao screenshots docs/screenshots $(ARGS)

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit $(ARGS)

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration $(ARGS)

## Benchmarks: raw NATS/PostgreSQL ceiling, e2e, freshness, burst, read and scale (docs/performance.md).
bench: $(STAMP)
	$(BIN)/baocao bench $(ARGS)

## Where the CPU goes on the e2e path, per process, with py-spy profiles in .run/profile.
profile: $(STAMP)
	$(BIN)/baocao profile --spy .run/profile $(ARGS)

## The OpenAPI documents of the four services and the AsyncAPI document of the events, generated from the code into docs/contracts/.
contracts: $(STAMP)
	$(BIN)/baocao contracts

## The full fault-injection run: a national round while services, NATS and PostgreSQL are killed;
## then the long bad-link run: 30 edges on a weak, flapping link, killed, cut for 72 h across a deadline.
chaos: $(STAMP)
	$(BIN)/baocao chaos $(ARGS)
	BAOCAO_LONG_TESTS=1 $(BIN)/python -m pytest -q tests/integration/test_weak_links_long.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf .run
