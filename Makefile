# The one entry point. `make report` runs the main job; `make test` builds and checks all.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.deps-installed
BENCH_STAMP := $(VENV)/.bench-deps-installed

.PHONY: all venv build lint test test-rust test-python bench report fmt clean fuzz fuzz-tool fuzz-smoke fuzz-seed

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

$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(PY) -m pip install -q -r requirements-bench.txt
	touch $@

# Release build, installed into the venv in editable mode (python/ is used in place). maturin
# installs into the environment VIRTUAL_ENV or CONDA_PREFIX names: this project's venv, not
# one the calling shell has activated.
build: $(STAMP)
	env -u CONDA_PREFIX VIRTUAL_ENV=$(CURDIR)/$(VENV) $(VENV)/bin/maturin develop --release -q

lint: $(STAMP)
	cargo fmt --check
	cargo clippy --all-targets -q -- -D warnings
	$(VENV)/bin/ruff check python tests benches fuzz
	$(VENV)/bin/ruff format --check python tests benches fuzz
	$(VENV)/bin/mypy

# The suite runs twice: as is, and with every plain file read through a memory mapping.
test-rust:
	cargo test -q
	ZEEKFRAME_MAP_MIN_BYTES=0 cargo test -q

# The hostile-input and API tests run again with every plain file mapped (the whole corpus
# is read both ways, mapped and into buffers, by the Rust suite's mapping test).
test-python: build
	$(PY) -m pytest -q
	ZEEKFRAME_MAP_MIN_BYTES=0 $(PY) -m pytest -q tests/test_hostile.py tests/test_api.py

test: build lint test-rust test-python fuzz-smoke

# Read speed and memory against by-hand Polars/pandas, then what pushdown into the parser saves.
report: build
	$(PY) -m zeekframe.cli demo $(DEMO) --scale $(SCALE)
	$(PY) -m zeekframe.cli report --conn $(DEMO)/conn.log --http $(DEMO)/http.log --out report
	@echo "open report/report.html"

bench: build $(BENCH_STAMP)
	$(PY) benches/bench_read.py
	$(PY) benches/bench_pushdown.py
	$(PY) benches/bench_report.py
	$(PY) benches/bench_archive.py
	$(PY) benches/bench_json.py
	$(PY) benches/bench_dask.py
	$(PY) benches/bench_hostile.py
	$(PY) benches/bench_tools.py

# Coverage-guided fuzzing (libFuzzer through cargo fuzz, AddressSanitizer, debug assertions):
# `make fuzz` runs each optimized target FUZZ_SECONDS, growing fuzz/corpus-local; `make
# fuzz-smoke` runs each unoptimized target (a quicker build) briefly on the committed seeds.
# A finding lands in fuzz/artifacts/TARGET/.
FUZZ_TARGETS       := tsv_header tsv_log json_log values byte_ranges cut_write
FUZZ_SECONDS       ?= 600
FUZZ_SMOKE_SECONDS ?= 15
CARGO_FUZZ_VERSION := 0.13.2
FUZZ_RUN = cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --debug-assertions --sanitizer address
FUZZ_SMOKE_RUN = cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --dev --sanitizer address

fuzz-tool:
	@cargo fuzz --version >/dev/null 2>&1 || cargo install -q cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked

fuzz: fuzz-tool
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus-local/$$t fuzz/artifacts/$$t; \
	  ( $(FUZZ_RUN) $$t corpus-local/$$t corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) \
	      -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	      -artifact_prefix=artifacts/$$t/ ) || exit 1; \
	done

fuzz-smoke: fuzz-tool
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus-local/$$t fuzz/artifacts/$$t; \
	  ( $(FUZZ_SMOKE_RUN) $$t corpus-local/$$t corpus/$$t -- \
	      -max_total_time=$(FUZZ_SMOKE_SECONDS) -timeout=30 -rss_limit_mb=2048 \
	      -max_len=65536 -print_final_stats=1 -artifact_prefix=artifacts/$$t/ \
	      > artifacts/$$t/smoke.log 2>&1 ) \
	    || { tail -n 80 fuzz/artifacts/$$t/smoke.log; exit 1; }; \
	  echo "fuzz $$t: $$(grep -o 'Done [0-9]* runs in [0-9]* second' fuzz/artifacts/$$t/smoke.log)"; \
	done

# Rebuild the committed seed corpus from the shared real logs.
fuzz-seed:
	$(PYTHON) fuzz/seed.py

fmt: $(STAMP)
	cargo fmt
	$(VENV)/bin/ruff format python tests benches fuzz
	$(VENV)/bin/ruff check --fix python tests benches fuzz

clean:
	rm -rf $(VENV) target $(DEMO) report
