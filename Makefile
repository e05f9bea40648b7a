# streamkit developer targets. `make` alone lists them.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test,bench]'
	@touch $@

setup: $(STAMP) ## create .venv and install streamkit with test extras

test: $(STAMP) ## run the whole test suite
	$(PY) -m pytest

demo: $(STAMP) ## generate 1M MalStone records and run MalStone A on all cores
	@$(PY) jobs/malstone/demo.py

bench: $(STAMP) ## benchmarks against GNU sort and the Unix pipeline (minutes)
	$(PY) bench/bench_sort.py
	$(PY) bench/bench_sort.py --unique --sizes 5M
	$(PY) bench/bench_run.py
	$(PY) bench/bench_run.py --scripts classic --skip-scaling
	$(PY) bench/bench_merge.py

bench-large: $(STAMP) ## hot key (20M values) and MalStone A on 50M records: memory bounded (long)
	$(PY) bench/bench_large.py

clean: ## remove the venv and build debris
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

.PHONY: help setup test demo bench bench-large clean
