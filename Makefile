# inspect_app — two commands on a fresh machine:
#   make run    set up and serve the app on http://127.0.0.1:5000 (demo data on an empty store)
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app inspect_app
HOST ?= 127.0.0.1
PORT ?= 5000
TEST_WORKERS ?= auto

.PHONY: run test setup catalogs messages bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP) catalogs

catalogs: $(STAMP)
	$(BIN)/pybabel -q compile -d inspect_app/translations

# Re-extract the messages after changing user-facing text, then translate the new ones.
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -w 100 \
	  --project inspect_app -o inspect_app/translations/messages.pot inspect_app
	$(BIN)/pybabel -q update -i inspect_app/translations/messages.pot -d inspect_app/translations \
	  --no-fuzzy-matching --ignore-obsolete -w 100

run: setup
	$(FLASK) checklists check
	$(FLASK) demo --if-empty
	$(FLASK) run --host $(HOST) --port $(PORT)

# ruff first (seconds), then the suite on both cores (pytest-xdist, one worker per core; the
# tests of one file stay on one worker so that module fixtures are built once).
test: setup
	$(BIN)/ruff check inspect_app tests bench
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
