# The two commands: `make demo` and `make test`. Everything else they need, they install.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12+ (Django 6.1). pyenv's builds first, then whatever is on PATH.
PYTHON ?= $(or $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12 $(HOME)/.pyenv/versions/3.13*/bin/python3.13)),$(shell command -v python3.12 || command -v python3.13 || command -v python3))
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: help venv demo test lint messages makemessages assets bench screenshots clean

help:
	@echo "make demo   - set up and serve the demo council on http://127.0.0.1:8000 (SQLite, eager Celery, localstripe)"
	@echo "make test   - set up and run every check and the whole test suite (PostgreSQL, Redis, Chromium)"
	@echo "make lint   - ruff, format, mypy, migrations and deploy checks only"
	@echo "make bench  - benchmarks against raw SQL on the same machine"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

# gettext's msgfmt compiles the translations; install it when it is missing.
messages: venv
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext >/dev/null)
	@DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py compilemessages --ignore=.venv -v 0

makemessages: venv
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py makemessages -l es -l fr --ignore=.venv --ignore=frontend --ignore=static --no-obsolete

demo: venv messages
	scripts/demo.sh

lint: venv
	scripts/lint.sh

test: venv messages
	scripts/test.sh

bench: venv
	scripts/bench.sh

screenshots: venv messages
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) staticfiles media sent-mail .mypy_cache .ruff_cache
