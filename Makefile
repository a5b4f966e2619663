# Factbase. `make run` starts a local server with demo data (`make run PORT=8010` on another
# port); `make test` runs the suite.
# Both create the virtual environment in .venv on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: run test lint format serve worker bench api-checks install lock audit browsers clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) load_demo
	$(MANAGE) local_admin --port $(PORT)
	$(MANAGE) runserver 127.0.0.1:$(PORT)

test: $(STAMP) browsers
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The production server, as docker-compose runs it (settings in gunicorn.conf.py).
serve: $(STAMP)
	$(BIN)/gunicorn factbase.wsgi

# The webhooks worker (Celery, on the Redis at WEBHOOKS_BROKER_URL), as docker-compose runs it.
worker: $(STAMP)
	$(MANAGE) webhooks_worker

# Measurements against PostgreSQL on generated data; see docs/benchmarks.md.
bench: $(STAMP)
	bash benchmarks/run

# The live API under gunicorn on a throwaway PostgreSQL database: schema, generated client,
# fuzzing (see .ci/api-checks).
api-checks: $(STAMP)
	bash .ci/api-checks

# Recompile requirements*.txt (every package, pinned, with hashes) from requirements*.in.
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links -o requirements-dev.txt requirements-dev.in

# Known vulnerabilities in the pinned packages, from PyPI's advisory data. Needs the
# network to reach PyPI's JSON API and the OSV database: a release step (docs/security.md).
audit: $(STAMP)
	$(BIN)/pip-audit --strict --disable-pip -r requirements-dev.txt

# The browser the tests in tests/browser drive: Debian's Chromium and its driver, installed
# (as root) when missing.
browsers:
	@if command -v chromium >/dev/null && test -x /usr/bin/chromedriver; then :; else \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
