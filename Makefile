# All set-up happens here: `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --disable-pip-version-check -q
# Real benchmark data lives beside the project (never copied into it); override as you like.
NASPERF_DATA ?= $(abspath ../shared/data)
export NASPERF_DATA
# torch is pinned: this version has a CPU wheel on the build machines (see DEVELOPERS.md).
TORCH  := torch==2.13.0

.PHONY: run test bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PIP) $(TORCH)
	$(PIP) -e '.[all]'
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed-run
	$(PIP) -e '.[test]'
	touch $@

run: $(VENV)/.installed-run
	$(VENV)/bin/nasperf evaluate --benchmark nb201-digits \
		--predictors xgb,rf,gp,mlp,col:jacov,col:params_m,early-stop-acc,sotl-e,lce,lcsvr \
		--fidelities 3 --train-sizes 10,25,50,100,150 --test-size 100 --trials 5 --seed 0 \
		--out runs/main

test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check src tests experiments examples
	$(VENV)/bin/pytest -q -m "not slow" --durations=10

bench: $(VENV)/.installed-test
	$(PY) experiments/bench_predictors.py
	$(PY) experiments/bench_proxies.py
	$(PY) experiments/bench_training.py --epochs 5 --repeats 5
	$(PY) experiments/bench_feature_capture.py --epochs 3 --repeats 5

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check src tests experiments examples

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
