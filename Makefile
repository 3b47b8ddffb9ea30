# mineralmap: two commands do all the set-up on a fresh machine.
#   make run   -> venv + requirements + data cache + streamlit on port 8501
#   make test  -> venv + dev requirements + ruff + pytest (unit, AppTest, browser)
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-runtime
DEVSTAMP := $(VENV)/.installed-dev
PORT ?= 8501

.PHONY: run test data lint bench browser clean-cache

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

run: data
	$(PY) -m streamlit run app.py --server.port $(PORT) \
		--server.headless $$( [ -n "$$DISPLAY" ] && echo false || echo true ) \
		--browser.gatherUsageStats false

# Headless Chromium for the browser tests (Debian package; installed when missing and we are root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "mineralmap: chromium not installed; browser tests will be skipped (sudo apt-get install chromium)"; fi; }

lint: $(DEVSTAMP)
	$(PY) -m ruff check .

test: $(DEVSTAMP) browser
	$(PY) -m ruff check .
	@$(PY) -m mineralmap data || true
	$(PY) -m pytest

bench: $(STAMP) data
	$(PY) benchmarks/run.py

clean-cache:
	rm -rf geodata/cache
