# OptiCRM: `make run` to use it, `make test` to check it. Needs only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= opticrm.settings

.PHONY: run test test-clock test-pooler bench faults lint format messages venv db-stop clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the pins change.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

run: venv
	$(BIN)/python -m opticrm.run --port $(PORT)

# Two workers (pytest-xdist; conftest.py keeps each module on one worker):
# the suite keeps both of CI's cores busy, Python and PostgreSQL.
TEST_WORKERS ?= 2
test: venv lint
	DJANGO_SETTINGS_MODULE=opticrm.settings_test $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The suite on days to come, Python's and PostgreSQL's clock moved (docs/testing.md):
# a test that pins a calendar date fails now, not when the date passes.
# E.g. make test-clock CLOCK_DAYS=2031-02-28 CLOCK_TESTS="appointments -m 'not browser'".
CLOCK_DAYS ?= 2027-06-01 2030-01-01
test-clock: venv
	for day in $(CLOCK_DAYS); do \
		OPTICRM_TEST_TODAY=$$day DJANGO_SETTINGS_MODULE=opticrm.settings_test \
			$(BIN)/python -m pytest $(CLOCK_TESTS) || exit 1; \
	done

# Load and fault figures against gunicorn on a scratch database
# (docs/load-and-faults.md); e.g. make faults FAULTS="--only booking,stock".
faults: venv
	DEBUG=true $(BIN)/python manage.py faults $(FAULTS)

# The transaction-pooler tests alone (docs/pooler.md); the PgBouncer ones need
# Debian's pgbouncer (apt-get install pgbouncer) and skip without it outside CI.
test-pooler: venv
	DJANGO_SETTINGS_MODULE=opticrm.settings_test $(BIN)/python -m pytest opticrm/tests/test_pooler*.py -q

# The chain-scale benchmark (docs/benchmark.md); e.g. make bench BENCH="--only search".
bench: venv
	DEBUG=true $(BIN)/python manage.py bench $(BENCH)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	find . -name '*.py' -not -path './.venv/*' -not -path './.data/*' -print0 \
		| xargs -0 $(BIN)/django-upgrade --target-version 5.2

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Needs GNU gettext (apt-get install gettext); the compiled .mo is committed.
messages: venv
	DEBUG=true $(BIN)/python manage.py makemessages -l de --no-location --no-obsolete -i ".venv/*" -i ".data/*"
	DEBUG=true $(BIN)/python manage.py compilemessages -l de -i ".venv" -i ".data"

db-stop: venv
	$(BIN)/python -m opticrm.embedded_db stop

clean: db-stop
	rm -rf $(VENV) staticfiles
