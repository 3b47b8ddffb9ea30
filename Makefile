# mineralmap: two commands do all the set-up on a fresh machine.
#   make run   -> venv + requirements + data cache + streamlit on port 8501
#   make test  -> venv + dev requirements + ruff + import contracts + pytest (unit, AppTest, browser)
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-runtime
DEVSTAMP := $(VENV)/.installed-dev
PORT ?= 8501

.PHONY: run test data lint bench fuzz system clean-cache

$(PY):
	python3 -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(DEVSTAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# Build (or reuse) the validated, clipped layer cache; a missing source is reported, not fatal.
data: $(STAMP)
	@$(PY) -m mineralmap data || echo "mineralmap: some layers could not be prepared (see above); the app lists them in a banner."

# serve.py = app.py plus one HTTP route (/layers/…) for the static map layers (see README).
run: data
	$(PY) -m streamlit run serve.py --server.port $(PORT) \
		--server.headless $$( [ -n "$$DISPLAY" ] && echo false || echo true ) \
		--browser.gatherUsageStats false

# System packages of the tests (chromium, poppler, Noto fonts, PostgreSQL + PostGIS), installed
# when missing and we are root; otherwise the tests that need them are skipped with a message.
system:
	@bash tools/system_packages.sh

lint: $(DEVSTAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

# Unit tests and AppTests on every core (pytest-xdist); the browser tests after them, one at a
# time (each drives a real server and a software-WebGL Chromium). Both run; either failing fails.
WORKERS ?= auto
test: $(DEVSTAMP) system
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	@$(PY) -m mineralmap data || true
	$(PY) -m pytest -m "not e2e" -n $(WORKERS); unit=$$?; \
	$(PY) -m pytest -m e2e; e2e=$$?; \
	exit $$(( unit || e2e ))

bench: $(STAMP) data
	$(PY) benchmarks/run.py

# >= 1,000 generated inputs per user-reachable parser/spec; prints the counts (issue 15).
fuzz: $(DEVSTAMP)
	$(PY) benchmarks/fuzz.py --n 1000

clean-cache:
	rm -rf geodata/cache
