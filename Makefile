# autograd_lab: set-up, notebooks, tests and benchmarks.
#   make lab    set up .venv (notebook extra) and open JupyterLab on notebooks/
#   make test   set up .venv (test extra) and run pytest on tests/ plus nbval on notebooks/;
#               installs graphviz and chromium with apt-get when root (tests/browser/ drives chromium)
#   make notebooks  re-execute every notebook in place (fresh kernel, widget state kept):
#               the stored outputs are what `make test` checks with nbval
#   make docs   set up .venv (docs extra) and build the Sphinx site in docs/_build/html
#               (warnings are errors; the notebooks are rendered from their stored outputs)
#   make bench  set up .venv (bench extra: HIPS autograd, MyGrad) and run benchmarks/run.py
#   make clean  remove .venv, caches and build output
# Variables: PYTHON (interpreter used to create .venv, 3.11+), LAB_ARGS (extra args for
# `jupyter lab`, e.g. LAB_ARGS=--no-browser), PYTEST_ARGS (extra args for pytest),
# BENCH_ARGS (extra args for benchmarks/run.py, e.g. BENCH_ARGS=--quick).

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
VPY  := $(VENV)/bin/python

# The first interpreter on PATH that is Python 3.11 or newer (override with PYTHON=...).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && \
	{ echo $$p; break; }; done)

LAB_ARGS ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=
# ORACLE=1: also install PyTorch (CPU, 2.13) so the tests that compare with it run too.
# The suite passes without it; those comparisons are then skipped.
ORACLE ?= 0

# jupyter refuses to start as root without --allow-root.
ifeq ($(shell id -u),0)
LAB_ROOT_ARGS := --allow-root
endif

# What `make test` hands to pytest: tests/ always, notebooks/ with nbval when it exists.
TEST_PATHS := $(wildcard tests) $(wildcard notebooks)
NBVAL_ARGS := $(if $(wildcard notebooks),--nbval --nbval-current-env) \
	$(if $(wildcard notebooks/sanitize.cfg),--nbval-sanitize-with notebooks/sanitize.cfg)

.PHONY: help venv setup-lab setup-test setup-bench setup-docs dot chromium lab lint test notebooks \
	docs bench clean

help:
	@echo "make lab    # set up .venv and open JupyterLab on notebooks/ (LAB_ARGS=--no-browser ...)"
	@echo "make test   # set up .venv with the test extra and run pytest + nbval notebooks"
	@echo "make notebooks  # re-execute the notebooks in place (their outputs are what nbval checks)"
	@echo "make docs   # build the Sphinx site (docs/_build/html/index.html), warnings as errors"
	@echo "make bench  # run benchmarks/run.py (BENCH_ARGS=--quick), writes docs/benchmarks.md"
	@echo "make clean  # remove .venv, caches and build output"

# ---- virtual environment -------------------------------------------------------------
$(VPY):
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Python 3.11 or newer is needed, and none was found on PATH" >&2; \
		echo "       (tried python3, python3.13, python3.12, python3.11; set PYTHON=/path/to/python3.11)" >&2; \
		exit 1; \
	fi
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: $(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'); 3.11 or newer is needed (set PYTHON=...)" >&2; \
		exit 1; }
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version 2>&1))"
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip

venv: $(VPY)

$(VENV)/.stamp-notebook: pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet -e '.[notebook]'
	@touch $@

$(VENV)/.stamp-test: pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet -e '.[test]'
	@touch $@

$(VENV)/.stamp-docs: pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet -e '.[docs]'
	@touch $@

$(VENV)/.stamp-bench: pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet -e '.[bench]'
	@touch $@

$(VENV)/.stamp-oracle: | $(VPY)
	$(VPY) -m pip install --quiet torch==2.13.0
	@touch $@

ORACLE_STAMP := $(if $(filter 1,$(ORACLE)),$(VENV)/.stamp-oracle)

setup-lab: $(VENV)/.stamp-notebook
setup-test: $(VENV)/.stamp-test
setup-bench: $(VENV)/.stamp-bench
setup-docs: $(VENV)/.stamp-docs

# ---- Graphviz's `dot` (the graphviz Python package only calls it) ------------------------
dot:
	@if ! command -v dot >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Graphviz's dot is missing: installing it with apt-get"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get update -qq && apt-get install -y -qq graphviz >/dev/null || exit 1; \
		else \
			echo 'Graphviz'"'"'s `dot` is missing: install it with `sudo apt-get install graphviz` (Debian/Ubuntu) or `brew install graphviz` (macOS)' >&2; \
			exit 1; \
		fi; \
	fi

# ---- Debian's chromium (the browser tests/browser/ drives with Playwright) ---------------
# Playwright comes from PyPI without a browser; `playwright install` would download one from
# Playwright's CDN, so the test launches this chromium (executable_path) instead.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "chromium is missing: installing it with apt-get"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get update -qq && apt-get install -y -qq chromium >/dev/null || exit 1; \
		else \
			echo '`chromium` is missing (tests/browser/ needs it): install it with `sudo apt-get install chromium` (Debian/Ubuntu) or put a chromium named `chromium` on PATH' >&2; \
			exit 1; \
		fi; \
	fi

# ---- what people run -------------------------------------------------------------------
lab: setup-lab dot
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_ROOT_ARGS) $(LAB_ARGS)

lint: setup-test
	$(VENV)/bin/ruff check autograd_lab tests benchmarks

test: setup-test $(ORACLE_STAMP) dot chromium lint
	@color=; [ -t 1 ] || color=--color=no; \
	set -x; $(VPY) -m pytest $$color --doctest-modules autograd_lab $(TEST_PATHS) $(NBVAL_ARGS) $(PYTEST_ARGS)

# Each numbered notebook, executed top to bottom in a fresh kernel and saved with its
# outputs and widget state (JupyterLab does not save widget state; nbconvert does).
notebooks: setup-test dot
	@cd notebooks && for nb in [0-9][0-9]_*.ipynb; do \
		echo "executing $$nb"; \
		../$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.store_widget_state=True \
			--ExecutePreprocessor.timeout=300 "$$nb" || exit 1; \
	done

# The site: docs/*.md, the notebooks (docs/notebooks links to notebooks/) from their stored
# outputs, and the API reference that docs/conf.py writes from each public module's __all__.
docs: setup-docs
	$(VPY) -m sphinx -W --keep-going -b html docs docs/_build/html

# run.py pins every thread pool to one thread itself (it re-executes itself with
# OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1); PyTorch is compared when it is
# installed in .venv (`make test ORACLE=1` installs it), and skipped otherwise.
bench: setup-bench
	$(VPY) benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis .ruff_cache .mypy_cache \
		docs/_build docs/api/_generated
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
	find . -name .ipynb_checkpoints -type d -prune -not -path './.git/*' -exec rm -rf {} +
