# The two commands a newcomer needs: `make run` and `make test`.
# Each sets up everything it needs on a fresh Debian machine with Python 3.11 and Node.

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
PWA    := static/pwa
STAMP  := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

export XUNCHA_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test lint install install-run system-deps pwa bench clean

# The demo county (Zhejiang) publishes the southern checklist variants (forms/README.md).
run: install-run pwa
	$(VENV)/bin/xuncha db-upgrade
	XUNCHA_CHECKLIST_VARIANTS=$${XUNCHA_CHECKLIST_VARIANTS-south} $(VENV)/bin/xuncha demo --if-empty
	XUNCHA_CHECKLIST_VARIANTS=$${XUNCHA_CHECKLIST_VARIANTS-south} \
	  $(VENV)/bin/xuncha run --host 127.0.0.1 --port 5000

test: install pwa system-deps
	$(PY) -m playwright --version >/dev/null
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

lint: install
	$(VENV)/bin/ruff check server sync forms tests bench

# `make run` installs what running needs; `make test` (and lint, bench) the test extras too.
install: $(STAMP)
install-run: $(RUN_STAMP)

$(RUN_STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml $(RUN_STAMP)
	$(PIP) install -q -e '.[test]'
	touch $(STAMP)

# Front-end packages come from npm; the build bundles them into static/pwa/vendor/, and
# the app's own modules into static/pwa/dist/ (rebuilt when a module changes; the server
# ignores a bundle older than the modules).
PWA_SOURCES := $(wildcard $(PWA)/js/*.js $(PWA)/js/views/*.js) $(PWA)/build.mjs

pwa: $(PWA)/node_modules/.installed $(PWA)/js/vocabulary.js $(PWA)/dist/app.js

# The phone's copy of the one vocabulary (server/vocabulary.py), committed and checked by
# a test; made again here when the vocabulary changes.
$(PWA)/js/vocabulary.js: server/vocabulary.py | $(RUN_STAMP)
	$(PY) -m server.vocabulary > $@.tmp && mv $@.tmp $@

$(PWA)/dist/app.js: $(PWA)/node_modules/.installed $(PWA_SOURCES)
	cd $(PWA) && npm run build

$(PWA)/node_modules/.installed: $(PWA)/package.json $(PWA)/package-lock.json
	cd $(PWA) && npm ci --no-audit --no-fund
	touch $@

# System packages: Chromium for the browser tests, a CJK font for PDFs and labels.
# Installed from Debian when missing and we are root; otherwise tests that need them skip
# and say why.
system-deps:
	@bash .ci/system-deps.sh

bench: install pwa
	$(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) $(PWA)/node_modules $(PWA)/vendor $(PWA)/dist instance/*.db
