# Two commands on a fresh machine:
#   make run   set up (virtual environment + project) and run the whole job on the sample data
#   make test  set up and run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CYCLE ?= sample
STAMP := $(VENV)/.installed

export DVC_NO_ANALYTICS := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test test-fast setup sample lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (svf)" >/dev/null
	touch $(STAMP)

setup: $(STAMP)

sample: setup
	$(BIN)/svf sample --cycle sample --partners 12 --years 3 --seed 2025 --messy

run: sample
	$(BIN)/svf run --cycle $(CYCLE)

# The whole suite, slow tests included, in parallel (pytest-xdist): one worker per core, the
# end-to-end DVC test first, then the other slow ones; an idle worker takes tests queued for a
# busy one (worksteal), so the run does not end with one worker alone. The slowest tests are
# listed at the end.
TEST_WORKERS ?= auto
test: setup
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal --durations=15 $(PYTEST_ARGS)

# Quick feedback while working: every test not marked slow.
test-fast: setup
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not slow" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/ruff format --check pipeline tests benchmarks
	$(BIN)/lint-imports   # the stage layers ([tool.importlinter] in pyproject.toml)
	$(BIN)/mypy           # the package's types ([tool.mypy])

format: setup
	$(BIN)/ruff format pipeline tests benchmarks
	$(BIN)/ruff check --fix pipeline tests benchmarks

bench: setup
	$(BIN)/python benchmarks/sample.py
	$(BIN)/python benchmarks/validate.py
	$(BIN)/python benchmarks/outcomes.py
	$(BIN)/python benchmarks/spend.py
	$(BIN)/python benchmarks/reports.py --partners 50

clean:
	rm -rf data/clean/* reports/* benchmarks/out
	touch data/clean/.gitkeep reports/.gitkeep
