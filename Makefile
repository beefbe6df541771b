# the virtual environment .ci/setup (make setup) makes
PYTHON ?= .venv/bin/python
.DEFAULT_GOAL := help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

setup:  ## install the engine (docker.io), base images and the package on a fresh machine
	bash .ci/setup

demo: setup  ## the main job on the bundled default snapshot: create -> query -> drop
	$(PYTHON) -m dotbox demo

# TESTS narrows what make test runs (.ci/fresh-machine uses it); WORKERS=0 runs it serially.
# --dist loadfile: a file's tests share one worker (and its module fixtures).
TESTS ?= tests
WORKERS ?= 2
test:  ## run every test (unit + integration against the real engine), in 2 workers
	$(PYTHON) -m pytest -q -n $(WORKERS) --dist loadfile $(TESTS)

unit:  ## unit tests only (no engine)
	$(PYTHON) -m pytest -q tests/unit

lint:  ## ruff, and import-linter's layer contracts (pyproject.toml; docs/architecture.md)
	$(PYTHON) -m ruff check dotbox tests bench
	$(dir $(PYTHON))lint-imports

typecheck:  ## mypy --strict
	$(PYTHON) -m mypy

docs:  ## regenerate docs/primitives/*.md from the catalogue (a test checks they are current)
	$(PYTHON) -c 'import pathlib; from dotbox.cli import help_text; from dotbox.primitives.catalogue import ENTRIES; [pathlib.Path(f"docs/primitives/{e.name}.md").write_text(help_text.docs_page(e)) for e in ENTRIES.values()]'

images:  ## build the base images (PostgreSQL 15, 17, 18)
	for m in 15 17 18; do bash images/base/build.sh $$m; done

bench:  ## every speed number of issue 7 in one run: floor, create/drop x3 snapshots, pool, testcontainers (.venv/bin/pip install -e '.[bench]')
	$(PYTHON) bench/suite.py

bench-cli:  ## dotbox create/drop from a shell against the API's own, same run (medians, CLI - API)
	$(PYTHON) bench/cli_speed.py

bench-suite:  ## what users feel: a 200-test suite, dotbox (database, pooled and plain sandbox per test) vs pytest-postgresql vs testcontainers, default + pagila, serial and -n 2 (installs its peers; .venv/bin/pip install -e '.[bench]')
	$(PYTHON) bench/suite_race.py

# PG: the majors bench-clients runs on (make bench-clients PG="15 17")
PG ?= 17
bench-clients:  ## SQLAlchemy's PostgreSQL dialect suite and psycopg2's suite, from their sdists, on a sandbox and on a plain server of the same base image, compared test by test (PG=17; PG="15 17" for both)
	$(PYTHON) bench/client_suites.py --pg $(PG)

bench-density:  ## 100 idle sandboxes at once: memory of each from the engine's stats, all answering
	$(PYTHON) bench/density.py

bench-db:  ## per-test databases: clone strategy by size, database() create and drop (median, p95) on default and pagila
	$(PYTHON) bench/per_test_db.py

bench-corpora:  ## every corpus: tables, bake and create time, harness passed/skipped/failed, equal to a plain restore
	$(PYTHON) bench/corpora_table.py

bench-migrations:  ## a Django and an Alembic migration inside dotbox run (tools image) against the same on the host
	$(PYTHON) bench/migrations.py

bench-snapshots:  ## gitlab bake vs plain psql, capture of a stand-in, create gitlab vs default
	$(PYTHON) bench/snapshot_numbers.py

.PHONY: help setup demo test unit lint typecheck docs images bench bench-cli bench-db bench-suite bench-clients bench-density bench-snapshots bench-corpora bench-migrations
