# Manage domestic homicide reviews: `make run` serves the embedded set-up, `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup serve migrate demo lint format clean bench load chaos audit

run: setup migrate demo serve

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run > /dev/null
	$(BIN)/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed static/vendor/.copied

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

static/vendor/.copied: node_modules/.package-lock.json project/frontend.py
	$(BIN)/python -m project.frontend
	touch $@

# Benchmarks and fault drills: not tests, never part of `make test`. They need PostgreSQL and Redis
# (DATABASE_URL, CELERY_BROKER_URL) for figures that mean anything; see the README.
$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

bench: setup $(VENV)/.bench-installed
	$(BIN)/python -m bench.run $(BENCH_ARGS)

load: setup $(VENV)/.bench-installed
	$(BIN)/python -m bench.load $(LOAD_ARGS)

chaos: setup
	$(BIN)/python -m chaos.run $(CHAOS_ARGS)

# Known vulnerabilities in the pinned dependencies: pip-audit over the virtual environment (and
# the bench extra's pins), npm audit over the production front-end packages. Fails on any
# finding, and on an audit that could not reach its advisory service unless
# AUDIT_ARGS=--allow-unreachable (see project/audit.py).
audit: setup
	$(BIN)/python -m project.audit $(AUDIT_ARGS)

migrate: setup
	$(BIN)/python manage.py migrate --noinput

demo: setup
	$(BIN)/python manage.py load_demo

serve: setup
	@echo "Serving on http://$(HOST):$(PORT) with a Celery worker and beat (Ctrl-C stops all three)."
	HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho start -f Procfile

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules static/vendor var
