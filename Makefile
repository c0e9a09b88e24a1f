# The one entry point. `make report` runs the main job; `make test` builds and checks all.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.deps-installed

.PHONY: all venv build lint test test-rust test-python bench report fmt clean

# The report on demo data shaped like the report's (SCALE=1: the full 22.7M-row conn.log).
SCALE ?= 0.1
DEMO  := demo-data

all: test

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements-dev.txt | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(STAMP)

# Release build, installed into the venv in editable mode (python/ is used in place).
build: $(STAMP)
	$(VENV)/bin/maturin develop --release -q

lint: $(STAMP)
	cargo fmt --check
	cargo clippy --all-targets -q -- -D warnings
	cargo clippy --lib --features polars-plugin -q -- -D warnings
	$(VENV)/bin/ruff check python tests benches
	$(VENV)/bin/ruff format --check python tests benches
	$(VENV)/bin/mypy

test-rust:
	cargo test -q

test-python: build
	$(PY) -m pytest -q

test: build lint test-rust test-python

# Read speed and memory against by-hand Polars/pandas, then what pushdown into the parser saves.
report: build
	$(PY) -m zeekframe.cli demo $(DEMO) --scale $(SCALE)
	$(PY) -m zeekframe.cli report --conn $(DEMO)/conn.log --http $(DEMO)/http.log --out report
	@echo "open report/report.html"

bench: build
	$(PY) benches/bench_read.py
	$(PY) benches/bench_pushdown.py
	$(PY) benches/bench_report.py
	$(PY) benches/bench_archive.py
	$(PY) benches/bench_json.py

fmt: $(STAMP)
	cargo fmt
	$(VENV)/bin/ruff format python tests benches
	$(VENV)/bin/ruff check --fix python tests benches

clean:
	rm -rf $(VENV) target $(DEMO) report
