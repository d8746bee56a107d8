# Rathaus-Chat. `make run` starts the app, `make test` runs every test (installing what is missing first).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test eval ingest browser bench bench-quick clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

ingest: install
	$(BIN)/rathaus ingest

run: install ingest
	$(BIN)/python app.py

browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -p no:cacheprovider

eval: install ingest
	$(BIN)/rathaus eval

bench: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.run

bench-quick: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) data
