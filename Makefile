# All set-up happens here: `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --disable-pip-version-check -q
# Real benchmark data lives beside the project (never copied into it); override as you like.
NASPERF_DATA ?= $(abspath ../shared/data)
export NASPERF_DATA
# torch is pinned here only: this version has a CPU wheel on the build machines. The package
# itself asks for a range (pyproject.toml), so users keep the torch they have.
TORCH  := torch==2.13.0
# the tests run in parallel on every core (pytest-xdist); override with e.g. `make test JOBS=1`
JOBS   ?= auto

.PHONY: run test test-slow package docs bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PIP) $(TORCH)
	$(PIP) -e '.[all]'
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed-run
	$(PIP) -e '.[test]'
	touch $@

$(VENV)/.installed-docs: pyproject.toml $(VENV)/.installed-run
	$(PIP) -e '.[docs]'
	touch $@

run: $(VENV)/.installed-run
	$(VENV)/bin/nasperf evaluate --benchmark nb201-digits \
		--predictors xgb,rf,gp,mlp,col:jacov,col:params_m,early-stop-acc,sotl-e,lce,lcsvr \
		--fidelities 3 --train-sizes 10,25,50,100,150 --test-size 100 --trials 5 --seed 0 \
		--out runs/main

test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check src tests experiments examples
	$(VENV)/bin/pytest -q -m "not slow" -n $(JOBS) --durations=10

# the long end-to-end runs (live training at full size, many-seed searches): CI's second step
# (pytest's exit code 5, no test selected, is not a failure)
test-slow: $(VENV)/.installed-test
	$(VENV)/bin/pytest -q -m slow -n $(JOBS) --durations=10 || [ $$? -eq 5 ]

# the sdist and wheel, checked as the package index would check them
package: $(VENV)/.installed-test
	rm -rf dist
	$(PY) -m build --outdir dist
	$(VENV)/bin/twine check --strict dist/*

# the documentation site (site/); a broken reference or link fails the build
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

bench: $(VENV)/.installed-test
	$(PY) experiments/bench_predictors.py
	$(PY) experiments/bench_proxies.py
	$(PY) experiments/bench_training.py --epochs 5 --repeats 5
	$(PY) experiments/bench_feature_capture.py --epochs 3 --repeats 5

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check src tests experiments examples

clean:
	rm -rf $(VENV) runs dist site .pytest_cache .ruff_cache
