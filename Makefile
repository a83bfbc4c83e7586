# Set up a fresh machine and run mmlock.  `make run` serves http://127.0.0.1:8000,
# `make test` runs every test, `make bench` measures the performance targets.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HTMX   := static/vendor/htmx.min.js
SWAGGER := static/vendor/swagger-ui-bundle.js static/vendor/swagger-ui.css

.PHONY: install run test bench clean

install: $(STAMP) $(HTMX) $(SWAGGER)

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

$(HTMX): package.json
	npm install --silent --no-save
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

# Swagger UI for /docs, from the same npm install (package.json pins it)
$(SWAGGER): $(HTMX)
	cp node_modules/swagger-ui-dist/$(notdir $@) $@

run: install
	$(VENV)/bin/mmlock serve --host 127.0.0.1 --port 8000

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules static/vendor
