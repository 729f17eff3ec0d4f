# Two entry points (see README.md): `make demo` sets everything up and runs the main job; `make test` runs the suite.
PYTHON ?= python3
VENV   ?= .venv
# CPU torch by default (this wheel is on local disk here); a GPU user sets e.g. TORCH="torch==2.13.0 --index-url URL".
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin

.PHONY: demo test docs install clean-venv

$(BIN)/.installed: setup.py settings.ini
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/meshreenact demo

test: install
	$(BIN)/python -m pytest -n 2 -q tests

# Executes every notebook once (long: nice'd, one thread), then renders docs/; `--no-exec` re-renders from _proc/.
docs: install
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nice -n 15 $(BIN)/python scripts/build_docs.py

clean-venv:
	rm -rf $(VENV)
