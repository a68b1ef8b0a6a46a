# The two commands: `make run` and `make test`. Everything else is what they are built from.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export DJANGO_SETTINGS_MODULE := finops.settings

.PHONY: run test install install-dev system-deps migrate lint format typecheck pytest bench synth check-deploy clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-run: $(VENV)/.installed requirements-run.txt
	$(PIP) install --quiet -r requirements-run.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.txt requirements-deploy.txt
	$(PIP) install --quiet -r requirements-dev.txt -r requirements-deploy.txt
	touch $@

## install: the virtualenv with pinned runtime and development packages
install: $(VENV)/.installed-dev

## system-deps: Debian's chromium (browser tests; skipped when FINOPS_CHROMIUM names another) and pgbouncer, when missing
system-deps:
	@[ -n "$$FINOPS_CHROMIUM" ] || command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }
	@command -v pgbouncer >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; \
	  else sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; fi; }

## run: the whole product (web, worker, beat) with a demo organization
run: $(VENV)/.installed-run
	$(PY) deploy/run_local.py

## migrate: prepare the database named by DATABASE_URL (all migrations, public tenant, template schema)
migrate: install
	$(PY) manage.py prepare_db

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run >/dev/null

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	FINOPS_TESTING=1 $(VENV)/bin/mypy finops tenants costs recommendations

pytest: install system-deps
	FINOPS_TESTING=1 $(VENV)/bin/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## test: lint, type checks and the whole suite against real PostgreSQL and Redis
test: install system-deps
	FINOPS_TESTING=1 $(MAKE) --no-print-directory lint typecheck
	bash deploy/check.sh
	$(MAKE) --no-print-directory pytest

## bench: benchmark figures as JSON lines; `make bench ONLY=<name>` runs one
bench:
	@$(MAKE) -s --no-print-directory install >&2  # stdout carries the figures only
	@FINOPS_TESTING=1 $(PY) -m finops.bench $(ONLY)

synth: install
	bash deploy/synth.sh

check-deploy: install
	DEBUG= SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | base64 | tr -dc a-zA-Z0-9) BASE_DOMAIN=finops.example.com \
	  $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .var staticfiles
