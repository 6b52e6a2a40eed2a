# Khuyến công: one command to run the demo, one to test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install install-base run test e2e lint messages bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

# Runtime packages only, from the hashed lock (make run).
$(VENV)/.base: requirements/base.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install -q --require-hashes -r requirements/base.txt
	touch $@

# Runtime + test and lint tools (make test, make lint).
$(VENV)/.dev: requirements/dev.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install -q --require-hashes -r requirements/dev.txt
	touch $@ $(VENV)/.base

# Compile the translation catalogues with Babel (pure Python: no GNU gettext needed).
messages: $(VENV)/.base
	$(VENV)/bin/pybabel compile -D django -d locale >/dev/null

install-base: $(VENV)/.base messages
install: $(VENV)/.dev messages

run: install-base
	@mkdir -p var/broker var/broker-done
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo
	@echo "Khuyến công: http://127.0.0.1:$(PORT)/  (Ctrl+C to stop)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(VENV)/bin/celery -A config worker --beat --pool=solo --loglevel=WARNING \
	    --schedule=var/celerybeat-schedule & \
	  $(PY) manage.py runserver 127.0.0.1:$(PORT) --noreload

# Every test, the browser tests included (they need /usr/bin/chromium: apt-get install chromium).
test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Only the browser tests.
e2e: install
	$(VENV)/bin/pytest -m e2e $(PYTEST_ARGS)

# Style, the direction of imports (workflow → notifications → core, pyproject.toml), the migrations and the
# types (mypy with django-stubs; what it checks: [tool.mypy] in pyproject.toml).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run -v0
	$(VENV)/bin/mypy

# Benchmarks (bench/README.md): BENCH_SCALE=smoke (default, a minute or two) or BENCH_SCALE=full.
# A separate database (khuyencong_bench) and Redis DB 10; B5 needs wrk from Debian.
BENCH_SCALE ?= smoke
bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	BENCH_SCALE=$(BENCH_SCALE) $(PY) -m bench

clean:
	rm -rf $(VENV) var
