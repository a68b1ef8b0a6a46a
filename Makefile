# The two commands: `make run` and `make test`. Everything else is what they are built from.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export DJANGO_SETTINGS_MODULE := finops.settings

.PHONY: run test install install-dev system-deps migrate lint format typecheck pytest bench synth check-deploy clean vendor focus-validator focus-validator-if-possible

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

# nise (Red Hat's CUR generator) in a virtualenv of its own, for the S3 end-to-end test.
NISE_VENV := .venv-nise
$(NISE_VENV)/.installed: requirements-nise.txt
	$(PYTHON) -m venv $(NISE_VENV)
	$(NISE_VENV)/bin/pip install --quiet --upgrade pip
	$(NISE_VENV)/bin/pip install --quiet -r requirements-nise.txt
	touch $@

## install: the virtualenv with pinned runtime and development packages (and nise's, for a test)
install: $(VENV)/.installed-dev $(NISE_VENV)/.installed

# focus-validator 2.x (the FinOps Foundation's, the only release that knows FOCUS 1.2) needs
# Python >= 3.12, numpy < 2 and so pyarrow < 20, which clash with ours: it gets a virtualenv of its
# own, driven as a subprocess by costs/explorer/tests (FOCUS export). FOCUS_PYTHON names another 3.12+.
FOCUS_VENV := .venv-focus
FOCUS_PYTHON ?=

$(FOCUS_VENV)/.installed: requirements-focus.txt
	@python=$(FOCUS_PYTHON); \
	if [ -z "$$python" ]; then \
	  for candidate in python3.12 python3.13 $(HOME)/.pyenv/versions/3.12*/bin/python3 $(HOME)/.pyenv/versions/3.13*/bin/python3; do \
	    if "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then python=$$candidate; break; fi; \
	  done; \
	fi; \
	[ -n "$$python" ] || { echo "focus-validator needs Python 3.12 or newer: set FOCUS_PYTHON=/path/to/python3.12" >&2; exit 1; }; \
	rm -rf $(FOCUS_VENV) && "$$python" -m venv $(FOCUS_VENV) && \
	$(FOCUS_VENV)/bin/pip install --quiet --upgrade pip && \
	$(FOCUS_VENV)/bin/pip install --quiet -r requirements-focus.txt
	touch $@

## focus-validator: the FinOps Foundation's FOCUS validator in .venv-focus (the FOCUS export tests run it)
focus-validator: $(FOCUS_VENV)/.installed

# `make pytest` (so `make test`) builds .venv-focus whenever a Python >= 3.12 is here, since
# costs/explorer/tests/test_focus_validator.py runs it; without one that test skips and says why.
focus-validator-if-possible:
	@python=$(FOCUS_PYTHON); \
	if [ -z "$$python" ]; then \
	  for candidate in python3.12 python3.13 $(HOME)/.pyenv/versions/3.12*/bin/python3 $(HOME)/.pyenv/versions/3.13*/bin/python3; do \
	    if "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then python=$$candidate; break; fi; \
	  done; \
	fi; \
	if [ -n "$$python" ]; then $(MAKE) --no-print-directory focus-validator FOCUS_PYTHON="$$python"; \
	else echo "No Python >= 3.12 here: the focus-validator test will skip (set FOCUS_PYTHON to run it)" >&2; fi

# Chart.js from the npm registry, vendored with its licence so `make run` needs no node (no CDN).
CHARTJS_VERSION := 4.5.1
VENDOR_DIR := static/vendor/chartjs

## vendor: fetch the front-end packages from npm into static/vendor/ (commit the result)
vendor:
	@command -v npm >/dev/null || { echo "make vendor needs npm (Node.js)" >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  (cd "$$tmp" && npm pack --silent chart.js@$(CHARTJS_VERSION) >/dev/null && tar xzf chart.js-$(CHARTJS_VERSION).tgz) && \
	  mkdir -p $(VENDOR_DIR) && \
	  cp "$$tmp/package/dist/chart.umd.min.js" $(VENDOR_DIR)/chart.umd.min.js && \
	  cp "$$tmp/package/LICENSE.md" $(VENDOR_DIR)/LICENSE.md && \
	  echo "chart.js $(CHARTJS_VERSION) from the npm registry (dist/chart.umd.min.js), MIT licence in LICENSE.md; refresh with make vendor" > $(VENDOR_DIR)/VERSION && \
	  echo "vendored chart.js $(CHARTJS_VERSION) into $(VENDOR_DIR)"

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

pytest: install system-deps focus-validator-if-possible
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
	rm -rf $(VENV) $(NISE_VENV) $(FOCUS_VENV) .var staticfiles
