# Manage domestic homicide reviews: `make run` serves the embedded set-up, `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup serve migrate demo lint format clean

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
