# Duely: `make run` starts everything on the embedded defaults; `make test` runs the suite.
# Both install what is missing first (a virtualenv in .venv, and Debian packages via apt-get).

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PACKAGES := libs/contracts libs/runtime libs/presentation libs/devstack services/invoicing services/payments \
            services/dunning services/notifications services/portal services/gateway
PYPROJECTS := $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
# The PDFs (invoice, receipt) embed DejaVu Sans from fonts-dejavu-core; the browser tests need chromium;
# PDFs are read back with pdftotext from poppler-utils.
DEB_PACKAGES := fonts-dejavu-core chromium poppler-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# pip's and setuptools' notices (editable-install deprecations, this machine's missing local index
# folders) are dropped; errors still show, and pipefail keeps pip's exit status.
QUIET_PIP := { grep -v -E '^WARNING: Location|BuildBackendWarning|^ *!!|^ *\*+ *$$|with strategy, WheelFile|name as your package|Please be careful with folders|^ *$$' || true; }

.PHONY: install system-packages run test bench bench-full contracts postgres clean

install: system-packages $(VENV)/.installed

$(VENV)/.installed: $(PYPROJECTS) requirements-dev.txt constraints.txt
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages into $(VENV)..."
	@$(PIP) install -q --upgrade pip 2>&1 | $(QUIET_PIP)
	@$(PIP) install -q -c constraints.txt -r requirements-dev.txt $(foreach p,$(PACKAGES),-e $(p)) 2>&1 | $(QUIET_PIP)
	@touch $@

system-packages:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

run: install
	$(PY) -m duely_devstack.run

# The tests need Postgres on 127.0.0.1:5432 (started here if it is installed but down);
# they start the broker, SMTP catcher, sandbox gateway and services themselves.
test: install postgres
	$(PY) -m pytest $(PYTEST_ARGS)

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "Starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }

# `make bench`: SQLite and Postgres (started if installed), closed and open loop, two replicas, GET
# latency, PDF/listing/tick: about 15 min on 2 idle cores. `make bench-full` adds the 10,000-journey
# drift runs (one per database: most of an hour at today's rate). BENCH_ARGS passes flags (see --help).
bench: install
	@$(MAKE) --no-print-directory postgres || echo "Postgres could not be started: SQLite figures only"
	$(PY) -m duely_devstack.bench $(BENCH_ARGS)

bench-full: install
	@$(MAKE) --no-print-directory postgres || echo "Postgres could not be started: SQLite figures only"
	$(PY) -m duely_devstack.bench --drift 10000 $(BENCH_ARGS)

contracts: install
	$(PY) -m duely_contracts.export

clean:
	rm -rf var
