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

.PHONY: demo test install browser messages check clean

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

# Refresh the translation catalogue after changing user-facing text (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-location --no-obsolete --ignore=.venv
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
