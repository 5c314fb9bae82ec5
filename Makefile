# The two commands: `make run` and `make test`. Everything they need is set up here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UI_SOURCES := $(shell find dashboard_ui/src dashboard_ui/index.html dashboard_ui/package.json dashboard_ui/package-lock.json dashboard_ui/vite.config.ts dashboard_ui/tsconfig.json -type f 2>/dev/null)
PYTEST_ARGS ?=
# Processes for the 10,000-example fuzz targets of `make chaos` (pytest-xdist).
FUZZ_PROCESSES ?= 2

.PHONY: run test check lint format deps ui bench test-postgres clean schema chaos

run: deps ui
	@if [ -z "$$REDIS_URL" ]; then export REDIS_SERVER_BIN=$$(scripts/ensure-system-package.sh redis-server) || exit 1; fi; \
	exec $(BIN)/python scripts/dev.py

test: deps ui
	@export REDIS_SERVER_BIN=$$(scripts/ensure-system-package.sh redis-server) || exit 1; \
	export CHROMIUM_PATH=$$(scripts/ensure-system-package.sh chromium) || exit 1; \
	export PG_BIN=$$(scripts/ensure-system-package.sh postgres) || exit 1; \
	$(BIN)/pytest $(PYTEST_ARGS)
	@if [ -f dashboard_ui/package.json ]; then cd dashboard_ui && npx vitest run; fi

# The same suite against a throwaway PostgreSQL cluster (CI runs this too).
test-postgres: deps ui
	@export REDIS_SERVER_BIN=$$(scripts/ensure-system-package.sh redis-server) || exit 1; \
	export CHROMIUM_PATH=$$(scripts/ensure-system-package.sh chromium) || exit 1; \
	export PG_BIN=$$(scripts/ensure-system-package.sh postgres) || exit 1; \
	scripts/with-postgres.sh $(BIN)/pytest $(PYTEST_ARGS)

check: lint test

# The full chaos suite (tests/chaos: real processes, faults injected; the short version runs in
# `make test`) and, when present, the fuzzing targets with 10,000 cases each, in FUZZ_PROCESSES
# processes. The chaos table is printed at the end and kept in .data/chaos-table.md, every
# process's log in .data/chaos/.
chaos: deps
	@export REDIS_SERVER_BIN=$$(scripts/ensure-system-package.sh redis-server) || exit 1; \
	export PG_BIN=$$(scripts/ensure-system-package.sh postgres) || exit 1; \
	mkdir -p .data; status=0; \
	CHAOS_SIZE=full CHAOS_TABLE=.data/chaos-table.md CHAOS_LOGS=.data/chaos $(BIN)/pytest tests/chaos -m chaos $(PYTEST_ARGS) || status=1; \
	if [ -d tests/fuzz ]; then FUZZ_EXAMPLES=10000 $(BIN)/pytest tests/fuzz -n $(FUZZ_PROCESSES) $(PYTEST_ARGS) || status=1; fi; \
	exit $$status

# Refresh graphql/schema.graphql from a running Saleor: make schema SALEOR_API_URL=http://localhost:8001/graphql/
schema: deps
	@test -n "$(SALEOR_API_URL)" || { echo "set SALEOR_API_URL to the running Saleor's GraphQL URL"; exit 2; }
	$(BIN)/python scripts/refresh_schema.py "$(SALEOR_API_URL)"

lint: deps
	$(BIN)/python scripts/check_self_contained.py
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: deps ui
	@export REDIS_SERVER_BIN=$$(scripts/ensure-system-package.sh redis-server) || exit 1; \
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

deps: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e '.[test]'
	@# phonenumberslite (before 2026-11-29) and phonenumbers share one package folder: a venv that
	@# had the lite one gets the full one (with time zones) freshly written over it.
	@if $(BIN)/pip show -q phonenumberslite 2>/dev/null; then \
	  $(BIN)/pip uninstall -q -y phonenumberslite && \
	  $(BIN)/pip install -q --disable-pip-version-check --force-reinstall --no-deps -c requirements.lock phonenumbers; fi
	@touch $(STAMP)

# Rebuilt only when the page's sources change; Flask serves dashboard_ui/dist.
ui: $(if $(wildcard dashboard_ui/package.json),dashboard_ui/dist/index.html)

dashboard_ui/dist/index.html: $(UI_SOURCES)
	cd dashboard_ui && npm ci --no-audit --no-fund --loglevel=error && npm run build
	@touch $@

clean:
	rm -rf $(VENV) dashboard_ui/node_modules dashboard_ui/dist .pytest_cache .mypy_cache .ruff_cache
