# salesflow — the README's commands. Prerequisites: Python 3.11+, Node 20+, make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install assets run worker test test-fast test-e2e lint format migrate seed messages lock bench check clean

install: $(VENV)/.installed static/vendor/.installed locale/en/LC_MESSAGES/django.mo

$(VENV)/.installed: requirements-dev.lock requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "salesflow needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	touch $@

static/vendor/.installed: package.json package-lock.json scripts/copy_vendor.py
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	$(PYTHON) scripts/copy_vendor.py
	touch $@

locale/en/LC_MESSAGES/django.mo: locale/en/LC_MESSAGES/django.po $(VENV)/.installed
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0

assets: static/vendor/.installed

migrate: install
	$(MANAGE) migrate --no-input

seed: migrate
	$(MANAGE) seed_demo --if-empty

# Serves the web app and the job worker together; Ctrl-C stops both.
run: seed
	$(PY) scripts/run_all.py --host $(HOST) --port $(PORT)

worker: migrate
	$(MANAGE) run_worker

test: install
	$(PY) -m pytest -q -p no:cacheprovider

test-e2e: install
	$(PY) -m pytest -q -m e2e -p no:cacheprovider

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	$(MANAGE) makemessages -l en --ignore=.venv --ignore=node_modules --ignore=static/vendor
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules

check: install
	$(MANAGE) makemigrations --check --dry-run
	DJANGO_ENV=production SECRET_KEY=check-only-$$(date +%s)-0123456789abcdefghijklmnopqrstuvwxyz ALLOWED_HOSTS=example.com $(MANAGE) check --deploy --fail-level WARNING

# Re-pin Python dependencies after editing pyproject.toml (needs uv: `pip install uv`).
lock:
	uv pip compile --generate-hashes --python-version 3.11 pyproject.toml -o requirements.lock -q
	uv pip compile --generate-hashes --python-version 3.11 --extra dev pyproject.toml -o requirements-dev.lock -q

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
