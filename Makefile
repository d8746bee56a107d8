# Rathaus-Chat. `make run` starts the app, `make test` runs every test (installing what is missing first).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test eval ingest tools browser bench bench-quick bench-scale clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Benötigt $(PYTHON) (Python 3.11)"; exit 1; }
	@echo "==> Installiere Rathaus-Chat und seine Pakete nach $(VENV) (einmalig, etwa 2 Minuten) …"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

ingest: install
	@echo "==> Index aktualisieren (nur neue oder geänderte Dokumente werden eingebettet) …"
	$(BIN)/rathaus ingest

run: install tools ingest
	@echo "==> Starte die App …"
	$(BIN)/python app.py

# Debian tools the app and the tests use: headless Chromium (browser test), Tesseract with German (OCR).
tools:
	@test -x /usr/bin/chromium && test -f /usr/share/tesseract-ocr/5/tessdata/deu.traineddata || \
		echo "==> Installiere Chromium und Tesseract (Deutsch) aus Debian (einmalig) …"
	@test -x /usr/bin/chromium && test -f /usr/share/tesseract-ocr/5/tessdata/deu.traineddata || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium tesseract-ocr tesseract-ocr-deu >/dev/null; }

browser: tools

test: install tools
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -p no:cacheprovider

eval: install ingest
	$(BIN)/rathaus eval

bench: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.run

bench-quick: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.run --quick

# A council archive of 100k and 1M chunks through the real ingest path (instant embedder), served with
# Chroma embedded and as a server; writes bench/results/scale.json. About 6 minutes for 100k and an
# hour for 1M on 2 cores (README "Speed and scale"): `python -m bench.scale --sizes 100000` runs 100k only.
bench-scale: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) data
