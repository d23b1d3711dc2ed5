# Polybot developer commands. `make help` lists them.
# Everything runs from the project's own virtualenv in .venv (created by `make venv`).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
REQS   := requirements.txt requirements-dev.txt

# Extra arguments: `make run ARGS="--profile staging"`, `make test PYTEST_ARGS="-m 'not browser'"`.
ARGS        ?=
PYTEST_ARGS ?=
PORT        ?= 8501

.DEFAULT_GOAL := help
.PHONY: help venv run demo test bench bench-dashboard soak lint clean

help: ## Show this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-7s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(STAMP) ## Create .venv and install requirements-dev.txt (again only when a requirements file changes)

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Polybot needs Python 3.11 or newer; found " + sys.version.split()[0] + " (set PYTHON=/path/to/python3.11)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) $(REQS)
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP) ## Start the bot and the dashboard (http://127.0.0.1:8501); Ctrl-C stops both
	$(PY) scripts/run_both.py --port $(PORT) run $(ARGS)

demo: $(STAMP) ## The bot on the offline market simulator at 5x speed, plus the dashboard
	$(PY) scripts/run_both.py --port $(PORT) run --source sim --speed 5 $(ARGS)

test: $(STAMP) ## Run the test suite (fails when no tests are collected)
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5): treating as failure" >&2; fi; \
	exit $$rc

soak: $(STAMP) ## Ten-minute memory soak: bot on 2,000 sim tokens + dashboard in chromium (SOAK_S=600)
	POLYBOT_SOAK=1 POLYBOT_SOAK_S=$(or $(SOAK_S),600) $(PY) -m pytest -m soak -s tests/ops/test_soak.py $(PYTEST_ARGS)

bench: $(STAMP) ## Measure engine throughput and latency (python -m bot bench)
	$(PY) -m bot bench $(ARGS)

bench-dashboard: $(STAMP) ## Render every dashboard page against 1M ticks and 100k trades; time per page
	$(PY) scripts/bench_dashboard.py $(ARGS)

lint: $(STAMP) ## Check style with ruff
	$(VENV)/bin/ruff check .

clean: ## Remove caches and test artifacts (keeps .venv and data/)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .hypothesis .ruff_cache tests/artifacts
