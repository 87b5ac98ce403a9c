# Set-up and checks. `make demo` runs the worker on an embedded mailbox seeded with sample
# school emails; `make test` runs every test, installing the system tools the tests need
# (LibreOffice, tesseract, Dovecot).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# LibreOffice reads .doc/.rtf fiches (python3-uno keeps one warm); tesseract reads scans;
# fonts for the PDFs we draw; Dovecot is the real IMAP server the tests start (never run
# as a system service here); Chromium is the real browser the bureau's tests drive
# (Playwright, never its download).
APT_PACKAGES := libreoffice-writer-nogui python3-uno tesseract-ocr tesseract-ocr-fra \
	fonts-dejavu-core dovecot-imapd chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench corpus system-deps clean

$(BIN)/saisine: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

system-deps:
	@dpkg -s $(APT_PACKAGES) >/dev/null 2>&1 || { \
	  echo "installing $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    $(APT_PACKAGES) >/dev/null; }

demo: $(BIN)/saisine
	$(BIN)/saisine demo --web

test: system-deps $(BIN)/saisine
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

bench: system-deps $(BIN)/saisine
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/worker.py
	$(BIN)/python bench/agenda.py
	$(BIN)/python bench/web.py

corpus: system-deps $(BIN)/saisine
	$(BIN)/python -m tests.corpus.build

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
