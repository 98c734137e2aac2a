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

.PHONY: run test setup catalogs browser bench serve-gunicorn clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP) catalogs

catalogs: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -q -d inspect_app/translations 2>/dev/null || $(BIN)/pybabel compile -q -d inspect_app/translations

run: setup
	$(FLASK) checklists check
	$(FLASK) run --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
