# The two commands: `make run` serves the forum with demo data, `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/wgforum
REDIS_TEST_URL ?= redis://127.0.0.1:6379/5

CLUSTER_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: help run run-cluster install install-dev test test-default test-scaleout lint format bench lock messages clean

help:
	@echo "make run    install, migrate, seed demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test   install test tools and run the suite on SQLite, then PostgreSQL + Redis"
	@echo "make run-cluster  like make run, with one Daphne process per core on the same port"
	@echo "                  (manage.py serve, SO_REUSEPORT) sharing Redis (CLUSTER_REDIS_URL)"
	@echo "make lint   ruff check and format check"
	@echo "make bench  run the benchmarks in bench/ (SQLite, and PostgreSQL + Redis when reachable;"
	@echo "            BENCH_ARGS=\"--db sqlite\" and the like pass flags, see docs/benchmarks.md)"

$(PY):
	@python=$$(scripts/find-python) || exit 1; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: requirements/base.lock | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements/base.lock
	@rm -f $(VENV)/.installed-dev
	@touch $@

$(VENV)/.installed-dev: requirements/dev.lock | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.lock
	@touch $(VENV)/.installed-base $@

install: $(VENV)/.installed-base
install-dev: $(VENV)/.installed-dev

run: install
	@mkdir -p var
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --no-input -v 0
	DEBUG=$${DEBUG:-1} STATIC_MANIFEST=1 $(PY) manage.py collectstatic --no-input -v 0
	@echo "Demo logins (email, role, country, groups):"
	@DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo $(if $(DEMO_PASSWORD),--password "$(DEMO_PASSWORD)")
	@echo "Serving on http://$(HOST):$(PORT) (HTTP and WebSocket, Daphne), with a task worker. Ctrl-C stops."
	@trap 'kill $$(jobs -p) 2>/dev/null' INT TERM EXIT; \
	DEBUG=$${DEBUG:-1} STATIC_MANIFEST=1 $(PY) manage.py db_worker --no-startup-delay -v 0 & \
	DEBUG=$${DEBUG:-1} STATIC_MANIFEST=1 $(VENV)/bin/daphne -b $(HOST) -p $(PORT) forum.asgi:application

# One Daphne process per core on one port (manage.py serve: SO_REUSEPORT, the kernel
# balances connections), sharing events through Redis (CLUSTER_REDIS_URL, default the local
# server); SERVE_PROCESSES=N sets the number.
run-cluster: install
	@mkdir -p var
	@$(PY) -c "import socket,sys,urllib.parse as u; p=u.urlsplit('$(CLUSTER_REDIS_URL)'); socket.create_connection((p.hostname, p.port or 6379), 2)" 2>/dev/null \
		|| { echo "Redis is not reachable at $(CLUSTER_REDIS_URL); start it or set CLUSTER_REDIS_URL"; exit 1; }
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --no-input -v 0
	DEBUG=$${DEBUG:-1} $(PY) manage.py collectstatic --no-input -v 0
	@DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT) with one Daphne process per core, sharing $(CLUSTER_REDIS_URL), with a task worker. Ctrl-C stops all."
	@trap 'kill $$(jobs -p) 2>/dev/null' INT TERM EXIT; \
	DEBUG=$${DEBUG:-1} REDIS_URL=$(CLUSTER_REDIS_URL) $(PY) manage.py db_worker --no-startup-delay -v 0 & \
	DEBUG=$${DEBUG:-1} REDIS_URL=$(CLUSTER_REDIS_URL) $(PY) manage.py serve -b $(HOST) -p $(PORT)

test: install-dev
	@scripts/run-tests

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks write only to their own databases: var/bench-*.sqlite3 and, on the PostgreSQL
# server of DATABASE_URL (else 127.0.0.1:5432), <its database name>_bench.
bench: install-dev
	@$(PY) -m bench $(BENCH_ARGS)

# Re-resolve the lock files (needs the network to PyPI).
lock:
	@python=$$(scripts/find-python) || exit 1; \
	"$$python" -m venv var/uv && var/uv/bin/pip install --quiet uv && \
	var/uv/bin/uv pip compile pyproject.toml --universal --python-version 3.12 --generate-hashes --no-header -o requirements/base.lock && \
	var/uv/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.12 --generate-hashes --no-header -o requirements/dev.lock

messages: install-dev
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans -l fr -l ar --no-obsolete -i ".venv/*" -i "var/*" -i "tests/*" -i "bench/*"
	DEBUG=1 $(PY) manage.py compilemessages -i .venv -i var

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
