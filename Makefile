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
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test,bench,spark]'
	@touch $@

# Spark needs Java 17: install it where we may (root with apt-get), else say what to do.
java:
	@java -version 2>&1 | grep -q 'version "\(1[7-9]\|2[0-9]\)' || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "streamkit: the Spark tests need Java 17+; install it (e.g. apt-get install openjdk-17-jre-headless)" >&2; exit 1; fi; }

setup: $(STAMP) ## create .venv and install streamkit with test extras

test: $(STAMP) java ## run the whole test suite (Spark tests included)
	STREAMKIT_SPARK_TESTS=required $(PY) -m pytest

demo: $(STAMP) ## generate 1M MalStone records and run MalStone A on all cores
	@$(PY) jobs/malstone/demo.py

bench: $(STAMP) ## benchmarks against GNU sort and the Unix pipeline (minutes)
	$(PY) bench/bench_sort.py --sites 100
	$(PY) bench/bench_sort.py --sites 50000 --sizes 5M
	$(PY) bench/bench_sort.py --unique --sizes 5M
	$(PY) bench/bench_run.py --repeat 5
	$(PY) bench/bench_run.py --scripts classic --skip-scaling --no-peers --repeat 5
	$(PY) bench/bench_merge.py
	$(PY) bench/bench_sample.py
	$(PY) bench/bench_spark.py
	$(PY) bench/bench_helpers.py

bench-large: $(STAMP) ## hot key (20M values) and MalStone A on 50M records: memory bounded (long)
	$(PY) bench/bench_large.py

clean: ## remove the venv and build debris
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

.PHONY: help setup java test demo bench bench-large clean
