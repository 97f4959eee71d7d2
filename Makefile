# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
HOST ?= 127.0.0.1
PORT ?= 8000

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-production lint format install install-test migrate demo bench serve clean browser office

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

migrate: install
	$(PY) manage.py migrate --no-input -v 0

demo: migrate
	$(PY) manage.py load_program
	$(PY) manage.py setup_demo

## The application with the program and demo users, on SQLite, at http://127.0.0.1:8000
run: demo
	@echo "Serving http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# Debian's chromium for the browser tests (no browser download from the test tools).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests..."; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium fonts-noto-core; }

# LibreOffice, poppler and Carlito (Calibri's metrics) for the tests that print the
# Ministry workbook to PDF and read it back (tests/test_excel_print.py); LibreOffice's
# Writer and Noto (every Kazakh letter) turn the yearly implementation report into PDF,
# in the application and in tests/test_document.py.
OFFICE_PACKAGES := libreoffice-calc-nogui libreoffice-writer-nogui poppler-utils \
	fonts-crosextra-carlito fonts-noto-core
office:
	@command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 && \
		fc-list | grep -q Carlito && fc-list | grep -q NotoSans-Regular && \
		dpkg -s libreoffice-writer-nogui >/dev/null 2>&1 || { \
		echo "Installing LibreOffice and poppler for the printing tests..."; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $(OFFICE_PACKAGES); }

## The whole test suite and the linters (PYTEST_ARGS: more options for pytest, e.g. --cov)
test: install-test browser office
	$(PY) -m pytest $(PYTEST_ARGS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## The production shape over real HTTP: two gunicorn servers on PostgreSQL (127.0.0.1:5432)
## and Redis (127.0.0.1:6379); SHAPE_ARGS: e.g. --cache shared, --seconds 60 (see README)
test-production: install-test
	$(PY) tests/production/run_production_shape.py $(SHAPE_ARGS)

## Production server: gunicorn + whitenoise, DEBUG off, against DATABASE_URL
serve: install
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py createcachetable
	$(VENV)/bin/gunicorn metu_strategy.wsgi -c metu_strategy/gunicorn.conf.py

## Benchmarks (not part of `make test`): pages, Excel, import, load; see benchmarks/
bench: install
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q wrk; }
	$(PY) benchmarks/run.py

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
