# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint security lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exact versions come from the lock file; the project itself is installed editable.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/isms init
	$(BIN)/isms demo
	$(BIN)/isms run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

# Scanned by bandit: the application packages.
SCAN_PACKAGES := isms soa controls management connectors evidence

# Medium or high findings fail; each accepted one carries `# nosec` with its reason inline.
security: $(VENV)/.installed
	$(BIN)/bandit -q -r $(SCAN_PACKAGES) --severity-level medium
	$(BIN)/pip check

# Refresh the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra test --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache
