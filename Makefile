# The project's commands. Each target installs what it needs on a fresh machine first.
#   make run    - the whole system: database (embedded unless one is configured), gateway, dashboard
#   make test   - the whole test suite against a real MariaDB/MySQL server
#   make lint   - ruff and mypy

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)

.PHONY: run test lint

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(VENV)/bin/seguimiento run

# The browser tests drive Debian's Chromium (nothing may download a browser of its own).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium

test: $(STAMP) $(CHROMIUM)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check gateway tests
	$(VENV)/bin/mypy
