# sohoa — every target works on a plain Debian machine (no Docker needed).
PYTHON ?= python3
SOHOA  ?= $(PYTHON) -m app.cli
VAR    ?= var
PORT   ?= 5000
SAMPLE ?= ../shared/corpus/sample

.PHONY: setup demo demo-stop test test-fast lint bench stack-up stack-down

setup:  ## system packages (apt), the Python package with test extras
	bash scripts/install-system-deps.sh
	$(PYTHON) -m pip install --quiet -e ".[test]"

demo: setup  ## stack up, init, ingest the sample corpus, start worker + web, print the URL
	bash scripts/demo.sh "$(SAMPLE)" "$(PORT)" "$(VAR)"

demo-stop:  ## stop the demo's worker and web app (the stack keeps running: `sohoa stack down`)
	bash scripts/demo.sh --stop "$(SAMPLE)" "$(PORT)" "$(VAR)"

test: setup  ## the whole suite against real Elasticsearch, Redis, Tesseract and Chromium
	$(SOHOA) stack up
	$(PYTHON) -m pytest -q -ra

test-fast:  ## unit tests only: no service needs to run (tests/unit)
	$(PYTHON) -m pytest -q tests/unit

lint:
	$(PYTHON) -m ruff check .

bench: setup  ## figures into BENCHMARKS.md (not a test; takes a while)
	$(SOHOA) stack up
	$(PYTHON) -m bench

stack-up:
	$(SOHOA) stack up

stack-down:
	$(SOHOA) stack down
