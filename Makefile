# Fengqiao: `make demo` runs the app with demo data on SQLite, `make test` runs the tests.
PYTHON := $(shell .ci/find-python)
ifeq ($(PYTHON),)
$(error Fengqiao needs Python >= 3.12 (Django 6); install it or set PYTHON=/path/to/python3.12)
endif
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000
# The suite runs on every core (pytest-xdist); PYTEST_ARGS= runs it in one process.
PYTEST_ARGS ?= -n auto

.PHONY: demo test install browser messages replica check clean bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# One command starts everything: the web server, the task worker and the periodic checks
# (every 2 minutes in the demo); Ctrl-C stops all three.
demo: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	trap 'kill 0' INT TERM EXIT; \
	DEBUG=1 $(PY) manage.py db_worker --no-startup-delay & \
	DEBUG=1 $(PY) manage.py schedule_checks --every 120 & \
	DEBUG=1 $(PY) manage.py runserver $(HOST)

# Browser tests drive Debian's chromium; install it when we can (root + apt), else they skip.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi

test: install browser
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

# Time every page for each role at size (bench/run.py, issue 14) on PostgreSQL: grows (or keeps)
# the database fq_bench_$(SIZE) to SIZE cases with bench/generate.py, then measures; the statistics
# tables are filled first when empty. `make bench SIZE=1000000`; another database with
# BENCH_DB=postgres://..., runner options with BENCH_ARGS="--repeat 5 --markdown bench.md".
# A large one (10 M cases: 36 GB) belongs on a cluster of its own, BENCH_PG=postgres://postgres@127.0.0.1:5434:
# .ci/replica copies the whole cluster on 5432.
SIZE ?= 20000
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
BENCH_DB ?= $(BENCH_PG)/fq_bench_$(SIZE)
BENCH_ARGS ?=
bench: install
	$(PY) bench/generate.py --cases $(SIZE) --db $(BENCH_DB)
	$(PY) bench/run.py --db $(BENCH_DB) $(BENCH_ARGS)

# A streaming standby of the local PostgreSQL on 127.0.0.1:5433, for the replica tests (root):
#   make replica && FQ_REAL_REPLICA_URL=postgres://postgres@127.0.0.1:5433 \
#     DATABASE_URL=postgres://postgres@127.0.0.1:5432/fengqiao make test
replica:
	.ci/replica

# Refresh the translation catalogue after changing user-facing text (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-location --no-obsolete --ignore=.venv
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
