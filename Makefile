# evalkit: the two commands a new user needs are `make evaluate` and `make test`.
# Both create the virtual environment in .venv on first use (Python 3.11+ and pip only),
# install evalkit with its dependencies, register the Jupyter kernel `evalkit`, and are
# quick no-ops for the set-up afterwards (it is redone only when pyproject.toml changes).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.evalkit-setup
YEAR ?=
DATA ?=
ARGS ?=
PIP := $(BIN)/python -m pip --disable-pip-version-check --no-input

.PHONY: setup spark browser reference-r evaluate test test-fast bench lab lint docs clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"evalkit needs Python 3.11 or newer, found {v.major}.{v.minor}; run make with PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "evalkit: setting up $(VENV) (first run only; pip shows its progress)"
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[test,docs]'
	$(BIN)/python -m ipykernel install --sys-prefix --name evalkit --display-name "evalkit (Python 3)"
	@touch $(STAMP)

## Install PySpark for the spark engine (only it needs PySpark, about 500 MB; Java must be installed).
## PySpark goes into its own folder, not the environment: pandera imports pyspark.pandas at start-up
## whenever pyspark is importable, which slows every evalkit import and warns under pandas 3.
spark: $(STAMP)
	$(PIP) install --upgrade --target $(VENV)/spark 'pyspark>=3.5'

## Install Debian's Chromium (and a Latin font) when no Chromium or Chrome is found: it prints the year's
## PDF and runs the browser tests. Needs root or password-less sudo; otherwise it says so, and the run
## writes its reports without the PDF (the browser tests are skipped, saying how to get a browser).
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	    || command -v google-chrome >/dev/null 2>&1 || [ -n "$$EVALKIT_CHROMIUM" ]; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	    echo "evalkit: no Chromium found and no apt-get to install it; install Chromium or Chrome for the PDF"; \
	else \
	    SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
	    echo "evalkit: installing Debian's chromium for the year's PDF (first run only)"; \
	    { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	        --no-install-recommends chromium fonts-dejavu-core; } \
	    || echo "evalkit: could not install chromium (run \`sudo apt-get install chromium\`); no PDF until then"; \
	fi

## Install R with Debian's laeken and survey packages when laeken is missing: the tests read laeken's own
## EU-SILC example data through it and check evalkit's indicators against laeken's and convey's published
## numbers on those data. Needs root or password-less sudo; otherwise it says so and those tests are skipped.
reference-r:
	@if command -v Rscript >/dev/null 2>&1 && Rscript -e 'quit(status = !requireNamespace("laeken", quietly = TRUE))' >/dev/null 2>&1; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	    echo "evalkit: R's laeken not found and no apt-get to install it; the EU-SILC reference tests will be skipped"; \
	else \
	    SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
	    echo "evalkit: installing R and its laeken package for the reference tests (first run only)"; \
	    { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	        --no-install-recommends r-base-core r-cran-laeken r-cran-survey; } \
	    || echo "evalkit: could not install R's laeken (run \`sudo apt-get install r-cran-laeken\`)"; \
	fi

## Run the annual evaluation on the embedded data into outputs/<year>/ (YEAR=2017 DATA=PKG ARGS="--lang zh" to vary).
evaluate: $(STAMP) browser
	$(BIN)/evalkit run $(if $(YEAR),--year $(YEAR)) $(if $(DATA),--data $(DATA)) $(ARGS)

# One BLAS thread per test process: make test runs one process per core, and numpy's default of a thread per
# core in each would make them fight over the cores (the notebooks' kernels get one thread each likewise).
TEST_ENV := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

## Run the whole test suite (unit tests, doctests, the docs build, one shared annual run, the notebooks),
## in one process per core, one test module at a time (so the module of the shared annual run runs it once).
test: $(STAMP) browser reference-r
	$(TEST_ENV) $(BIN)/python -m pytest -n auto --dist loadfile $(ARGS)

## The fast tier for the edit-test loop: every test not marked slow.
test-fast: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -n auto --dist loadfile -m "not slow" $(ARGS)

## Run every benchmark (installs the comparison libraries of the `bench` extra first); prints tables of ratios.
bench: $(STAMP)
	$(PIP) install --progress-bar off -q -e '.[bench]'
	$(BIN)/python benchmarks/scale.py --sizes 100000 1000000 10000000
	$(BIN)/python benchmarks/indicators.py --reps 999
	$(BIN)/python benchmarks/did.py
	$(BIN)/python benchmarks/staggered.py
	$(BIN)/python benchmarks/annual_run.py
	$(BIN)/python benchmarks/clean.py

## Build the documentation site strictly into site/ (every link and reference checked).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

## Open JupyterLab on the notebooks with the evalkit kernel.
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

## Lint and check formatting (ruff).
lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

clean-venv:
	rm -rf $(VENV)
