# The two commands: `make demo` and `make test`. Each makes .venv when it is missing, installs
# stepgrad with its extras, and looks for Graphviz's `dot` (installing it with apt-get when it can).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench gallery graphviz clean docs studio

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "stepgrad needs Python 3.10 or newer; found $$($(PYTHON) --version)"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { echo "could not create $(VENV): on Debian/Ubuntu run 'apt-get install python3-venv'"; exit 1; }

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --upgrade pip "setuptools>=77"  # the build backend pyproject.toml names (the packaging test builds a wheel without isolation)
	$(PY) -m pip install -q -e '.[dev,demos,bench,notebook,app,browser,docs]'
	@touch $(STAMP)

graphviz:
	@sh tools/ensure-graphviz.sh

demo: $(STAMP) graphviz
	$(PY) -m demos.moons

test: $(STAMP) graphviz
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

bench: $(STAMP)
	$(PY) -m benchmarks

# The Studio as a local web app (Voilà on 127.0.0.1; Ctrl-C stops it).
studio: $(STAMP)
	$(PY) -m demos.studio

clean:
	rm -rf $(VENV) out site .pytest_cache .mypy_cache .ruff_cache

# The documentation site (mkdocs, docs/ and mkdocs.yml) into site/: open site/index.html from
# disk. --strict: a broken link, a missing page or an API name that does not resolve fails it.
# It prints mkdocs' progress and nothing else (tests/test_docs.py checks): NO_MKDOCS_2_WARNING
# silences the one notice Material prints on every build (its end of life and its successor,
# MkDocs 2: nothing to act on here, pyproject.toml keeps mkdocs < 2); the notebooks' kernels
# are quiet by their own settings (docs/hooks/jupyter/).
DOCS_STAMP := $(VENV)/.docs-stamp
$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[docs]'
	@touch $(DOCS_STAMP)

docs: $(DOCS_STAMP) graphviz
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --clean

# The README's pictures, made by the demos themselves.
GALLERY := docs/gallery
gallery: $(STAMP) graphviz
	$(PY) -m demos.moons --out $(GALLERY)
	$(PY) -m demos.xor --out $(GALLERY)
	$(PY) -m demos.spiral --out $(GALLERY)
	$(PY) -m demos.digits --out $(GALLERY)
	$(PY) -m demos.regression --out $(GALLERY)
	$(PY) -m demos.rnn --out $(GALLERY)
	$(PY) -m demos.recurrent_backprop --out $(GALLERY)
	$(PY) -m demos.vanishing --out $(GALLERY)
	$(PY) -m demos.optimizers --out $(GALLERY)
	$(PY) -m demos.graph --out $(GALLERY)
	$(PY) -m demos.gpt --out $(GALLERY)
	$(PY) tools/screenshot_page.py $(GALLERY)/backprop.html $(GALLERY)/backprop_page.png 7
	$(PY) -m tools.studio_gallery $(GALLERY)
