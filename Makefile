# The project's commands. Each target installs what it needs on a fresh machine first.
#   make run    - the whole system: database (embedded unless one is configured), gateway, dashboard
#   make test   - the whole test suite on the local server, then on MySQL 9.7 and MariaDB 11.8
#                 (make test ENGINES=mysql-9.7: some engines only; see tests/engines/matrix.py)
#   make lint   - ruff and mypy over gateway/, tests/, toolkit/ and bench/
#   make reliability - the fault, soak, scale-out, grants and fuzz tests, then docs/reliability.md
#   make cluster-test - a MySQL 9.7 Group Replication group and a MariaDB primary with a replica:
#                 failover under load, the sweep after it, reports on replicas (about a minute;
#                 make test runs them too, in its local run)

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
	apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-liberation

test: $(STAMP) $(CHROMIUM)
	$(PY) -m tests.engines.matrix $(if $(ENGINES),--engines "$(ENGINES)")

lint: $(STAMP)
	$(VENV)/bin/ruff check gateway tests toolkit bench
	$(VENV)/bin/mypy

# The reliability table: the tests record their figures under var/reliability/, then the
# table is rendered from those records (even when a test failed: its row says so).
.PHONY: reliability
reliability: $(STAMP)
	$(PY) -m pytest tests/reliability tests/test_grants.py $(wildcard tests/fuzz) \
		'tests/test_run.py::test_no_other_local_user_gets_into_the_private_database'; status=$$?; \
	$(PY) -m tests.reliability.report && exit $$status

# The cluster tests start their servers from the engine matrix's MySQL 9.7 root (built once
# by tests/engines/build-roots) and the machine's MariaDB; figures in var/cluster/.
.PHONY: cluster-test
cluster-test: $(STAMP)
	tests/engines/build-roots mysql-9.7
	$(PY) -m pytest tests/cluster

# Benchmarks (bench/, results in docs/bench/; see docs/bench/README.md):
#   make bench        - every benchmark, full mode (the committed results; ~30 min)
#   make bench-short  - every benchmark, short mode (about two minutes; results in docs/bench/short/)
BENCH_STAMP := $(VENV)/.bench-installed-$(shell cat pyproject.toml bench/node/package-lock.json | sha256sum | cut -c1-12)

.PHONY: bench bench-short

# wrk: the C HTTP load generator of the transitions benchmark (Debian's package).
WRK := /usr/bin/wrk
$(WRK):
	apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk

$(BENCH_STAMP): pyproject.toml bench/node/package-lock.json
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench]'
	cd bench/node && npm ci --no-audit --no-fund --silent
	rm -f $(VENV)/.bench-installed-* && touch $@

bench: $(BENCH_STAMP) $(WRK)
	BENCH_COMMAND="make bench" $(PY) -m bench --mode full --out docs/bench

bench-short: $(BENCH_STAMP) $(WRK)
	BENCH_COMMAND="make bench-short" $(PY) -m bench --mode short --out docs/bench/short
