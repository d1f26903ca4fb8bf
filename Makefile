# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: run once test unit integration lint typecheck check bench chaos profile contracts clean

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

## The whole suite: unit, integration and end-to-end tests against a real nats-server and PostgreSQL.
test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

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

## The full fault-injection run: a national round while services, NATS and PostgreSQL are killed.
chaos: $(STAMP)
	$(BIN)/baocao chaos $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf .run
