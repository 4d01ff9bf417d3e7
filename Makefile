# solidaire — developer and CI entry points.  `make help` lists the targets.
#
# make run         local server on http://127.0.0.1:8000 (SQLite, Celery eager, demo data)
# make test        everything CI runs: lint, Django checks, migrations check, pytest on
#                  PostgreSQL + Redis (throw-away servers from scripts/services.sh)
# make test-quick  pytest on SQLite only, no services, no browser
#
# Pass extra pytest arguments with PYTEST_ARGS, e.g. make test PYTEST_ARGS='-k invoice -x'.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# Prerequisites run in the order written (apt-get and pip must not race).
.NOTPARALLEL:

VENV        := .venv
PY          := $(VENV)/bin/python
RUFF        := $(VENV)/bin/ruff
STAMP       := $(VENV)/.installed
SERVICES    := bash scripts/services.sh
APT_ENSURE  := $(SERVICES) apt
PYTEST_ARGS ?=

WEASYPRINT_DEBS := libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
TEST_DEBS       := chromium poppler-utils
QUICK_MARKERS   := not postgres and not celery_worker and not browser

# Command prefixes: the throw-away services' DATABASE_URL/REDIS_URL, or none at all (SQLite,
# eager Celery) whatever the caller's environment holds.
WITH_SERVICES := services_env="$$($(SERVICES) env)"; eval "$$services_env";
LOCAL_ONLY    := env -u DATABASE_URL -u REDIS_URL

.PHONY: help install system-deps test-system-deps run services test test-quick lint format \
        bench stop clean messages

help:
	@echo "make install      venv + pip install -e '.[dev]' + compilemessages (+ apt libs)"
	@echo "make run          migrate, seed_demo, runserver 127.0.0.1:8000 (SQLite, eager Celery)"
	@echo "make services     start throw-away PostgreSQL (:55432) and Redis (:56379)"
	@echo "make test         ruff, checks, migrations check, compilemessages, pytest (PYTEST_ARGS=...)"
	@echo "make test-quick   pytest on SQLite, without postgres/celery_worker/browser tests"
	@echo "make lint         ruff check + ruff format --check"
	@echo "make format       ruff format + ruff check --fix"
	@echo "make bench        pytest tests/benchmarks against the services"
	@echo "make messages     makemessages fr/en + compilemessages"
	@echo "make stop         stop the services;  make clean: stop + delete .services, db.sqlite3, media/, private/"

# ------------------------------------------------------------------------------ installation
$(PY):
	@py="$$(command -v python3.11 || command -v python3 || true)"; \
	if [ -z "$$py" ]; then echo "make: neither python3.11 nor python3 found" >&2; exit 1; fi; \
	echo "creating $(VENV) with $$py ($$("$$py" --version))"; \
	"$$py" -m venv $(VENV)

# Re-installs only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	touch $@

system-deps:
	@command -v msgfmt >/dev/null 2>&1 || $(APT_ENSURE) gettext
	@$(APT_ENSURE) $(WEASYPRINT_DEBS)

test-system-deps:
	@$(APT_ENSURE) $(TEST_DEBS)

install: system-deps $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv

# ------------------------------------------------------------------------------- local server
run: install
	$(LOCAL_ONLY) $(PY) manage.py migrate --noinput
	$(LOCAL_ONLY) $(PY) manage.py seed_demo
	$(LOCAL_ONLY) DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# ------------------------------------------------------------------------------------ services
services:
	$(SERVICES) start

stop:
	$(SERVICES) stop

# `destroy` stops by pid, then deletes .services (and the /tmp fallback of the PostgreSQL data).
clean:
	$(SERVICES) destroy
	rm -rf .services db.sqlite3 media/ private/

# --------------------------------------------------------------------------------------- tests
# axe-core (npm, pinned by package-lock.json) for the accessibility checks of the browser tests.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Make stops at the first failing step; pytest's own status is printed (5 = no tests collected
# is a failure, never ignored).
test: install test-system-deps node_modules/axe-core/axe.min.js services
	$(WITH_SERVICES) $(RUFF) check .
	$(WITH_SERVICES) $(PY) manage.py check
	$(WITH_SERVICES) DJANGO_ENV=production SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" ALLOWED_HOSTS=solidaire.example.org $(PY) manage.py check --deploy --fail-level WARNING
	$(WITH_SERVICES) $(PY) manage.py makemigrations --check --dry-run
	$(WITH_SERVICES) $(PY) manage.py compilemessages --ignore=.venv
	@$(WITH_SERVICES) echo "+ pytest $(PYTEST_ARGS)  [DATABASE_URL=$$DATABASE_URL REDIS_URL=$$REDIS_URL]"; \
	status=0; $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ "$$status" -eq 5 ]; then echo "make test: pytest collected no tests (exit status 5)" >&2; fi; \
	if [ "$$status" -ne 0 ]; then echo "make test: pytest failed with exit status $$status" >&2; fi; \
	exit "$$status"

test-quick: install
	$(LOCAL_ONLY) $(PY) -m pytest -m "$(QUICK_MARKERS)" $(PYTEST_ARGS)

# tests/benchmarks is excluded from normal runs (norecursedirs in pyproject.toml).  `make bench`
# uses a database of its own (BENCH_DB), seeded once by seed_scale (kept between runs: delete it
# with `dropdb` or `manage.py seed_scale --flush` to start again), and a Redis database of its
# own for the Celery workers it starts.  Output: a table, test-output/bench.json and .md.
BENCH_DB        ?= solidaire_bench
BENCH_REDIS_DB  ?= 9
BENCH_SEED_ARGS ?= --centres 2500 --calls 10 --applications 20000 --items 60000 \
                   --shipments 8000 --invoices 10000 --seed 42
WITH_BENCH_DB := $(WITH_SERVICES) export DATABASE_URL="$${DATABASE_URL%/*}/$(BENCH_DB)" \
                 REDIS_URL="$${REDIS_URL%/*}/$(BENCH_REDIS_DB)";

bench: install system-deps services
	@$(WITH_BENCH_DB) \
	if ! psql -X -q -t -A "$${DATABASE_URL%/*}/postgres" \
		-c "SELECT 1 FROM pg_database WHERE datname = '$(BENCH_DB)'" | grep -q 1; then \
		echo "+ createdb $(BENCH_DB)"; \
		psql -X -q "$${DATABASE_URL%/*}/postgres" -c "CREATE DATABASE $(BENCH_DB)"; \
	fi
	$(WITH_BENCH_DB) $(PY) manage.py migrate --noinput -v 0
	$(WITH_BENCH_DB) timeout 900 $(PY) manage.py seed_scale --if-empty $(BENCH_SEED_ARGS)
	$(WITH_BENCH_DB) timeout 2400 $(PY) -m pytest tests/benchmarks -p no:randomly \
		-o 'norecursedirs=.venv node_modules .git .hypothesis' -q -s $(PYTEST_ARGS)

# ---------------------------------------------------------------------------------------- lint
lint: $(STAMP)
	$(RUFF) check .
	$(RUFF) format --check .

format: $(STAMP)
	$(RUFF) format .
	$(RUFF) check --fix .

# ---------------------------------------------------------------------------------------- i18n
messages: system-deps $(STAMP)
	$(PY) manage.py makemessages -l fr -l en --ignore=.venv --ignore=tests \
		--ignore=node_modules --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv
