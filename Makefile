# The first two commands a newcomer runs: `make demo`, then `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
# Keep the workspace outside the project: `langgraph dev` reloads on any change under it.
export PAPER_PROCESSOR_WORKSPACE ?= $(HOME)/.cache/paper-processor/workspace

.PHONY: install demo test bench bench-fidelity serve lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	@# marker needs a local TTF (it would download one otherwise); Debian ships DejaVu.
	@test -f $(FONT) || { command -v apt-get >/dev/null && (apt-get update -qq && apt-get install -y -qq fonts-dejavu-core >/dev/null) || echo "warning: $(FONT) missing; set PAPER_PROCESSOR_FONT_PATH"; }
	@# OCR of scanned pages: tesseract reads English best here (RapidOCR, a pip dependency, is the
	@# fallback and reads Chinese); `paper-processor doctor` says which engines are installed.
	@command -v tesseract >/dev/null || { command -v apt-get >/dev/null && (apt-get update -qq && apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null) || echo "warning: tesseract missing; OCR falls back to rapidocr"; }
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/paper-processor demo --out demo-output

test: install
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The LangGraph API for Studio and SDK clients, offline-safe: no browser, no LangSmith tracing, no
# CLI analytics, no version check. The workspace stays outside the project (exported above), so
# hot reload sees only code changes. `make serve PORT=8123` for another port.
serve: install
	@test -x $(VENV)/bin/langgraph || { echo "langgraph CLI missing: $(PY) -m pip install 'langgraph-cli[inmem]'"; exit 1; }
	LANGSMITH_TRACING=false LANGGRAPH_CLI_NO_ANALYTICS=1 LANGGRAPH_NO_VERSION_CHECK=true \
		$(VENV)/bin/langgraph dev --no-browser --port $(or $(PORT),2024)

# BENCH_ARGS="--converter marker" converts real papers and adds, to the JSON last line, `warm` and
# `cold` (a second run in the same process on the first run's converters, and the first run with
# its bound counted from converter ready), `workers` (pages/s with 1 and with auto) and
# `pages_per_s_per_worker` (before/after the converter work, side by side): benchmarks/README.md.
bench: install
	$(PY) benchmarks/pipeline.py $(BENCH_ARGS)

# Markdown fidelity of text-layer mode on ../shared/data/papers (FIDELITY_ARGS=--anchor compares
# with pymupdf4llm, after `pip install '.[anchor]'`).
bench-fidelity: install
	$(PY) benchmarks/fidelity.py $(FIDELITY_ARGS)

lint: install
	$(PY) -m ruff check workflows graphs tests benchmarks
	$(PY) -m ruff format --check workflows graphs tests

clean:
	rm -rf demo-output .pytest_cache
