# One entry point for people and CI. `make run` serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint fmt bench bench-upload migrations install install-dev check clean docs image-check gallery ocr-deps
.PHONY: deploy-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps are named after pyproject.toml's hash, so a changed dependency list reinstalls.
DEPS_HASH := $(shell sha1sum pyproject.toml | cut -c1-12)
RUN_STAMP := $(VENV)/.installed-run-$(DEPS_HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(DEPS_HASH)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

# Front end: GOV.UK Frontend, axe-core and sass exactly as package-lock.json says (npm ci;
# node_modules/ is not committed), then the styles built into static/build/ (not committed).
.PHONY: frontend browser-deps
NPM_STAMP := node_modules/.installed-$(shell sha1sum package-lock.json 2>/dev/null | cut -c1-12)
CSS_BUILD := static/build/app.css

$(NPM_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(CSS_BUILD): $(NPM_STAMP) $(wildcard static/scss/*.scss)
	npm run build

frontend: $(CSS_BUILD)
install: frontend
install-dev: frontend
test: browser-deps ocr-deps replica-deps

# The browser tests drive Debian's Chromium: as root, install it when it is missing.
browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "browser-deps: /usr/bin/chromium is missing; as root: apt-get install chromium"; \
	fi

# The OCR tests of branded renders read them with Debian's tesseract: as root, install it.
ocr-deps:
	@if [ -x /usr/bin/tesseract ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr; \
	else \
	  echo "ocr-deps: /usr/bin/tesseract is missing; as root: apt-get install tesseract-ocr"; \
	fi

# The replica test (tests/replicas/) puts Debian's nginx in front of two app processes.
.PHONY: replica-deps
replica-deps:
	@if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; \
	else \
	  echo "replica-deps: nginx is missing; as root: apt-get install nginx-light"; \
	fi

# The demo banner, mails and feed links name the address served here, unless it is set
# (this machine's loopback when serving on every interface, as `serve` does).
run: export ASSETS_HUB_BASE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
run: install
	$(BIN)/assets-hub migrate
	$(BIN)/assets-hub demo
	$(BIN)/assets-hub serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff format --check assets_hub tests bench deploy
	$(BIN)/ruff check assets_hub tests bench deploy
	$(BIN)/mypy

fmt: install-dev
	$(BIN)/ruff format assets_hub tests bench
	$(BIN)/ruff check --fix assets_hub tests bench

# thumbor, the render benchmark's comparison, in a venv of its own: never a project dependency.
# Defined before `bench`: make expands a rule's prerequisites when it reads the rule.
THUMBOR_VENV  := var/thumbor-venv
THUMBOR_STAMP := $(THUMBOR_VENV)/.installed
$(THUMBOR_STAMP):
	$(PYTHON) -m venv $(THUMBOR_VENV)
	$(THUMBOR_VENV)/bin/pip install --quiet thumbor
	touch $@

# Benchmarks print figures beside a baseline measured in the same run; they are not tests.
bench: install-dev $(THUMBOR_STAMP)
	$(BIN)/python bench/search.py --n 10000
	$(BIN)/python bench/render.py --thumbor-venv $(THUMBOR_VENV)
	$(BIN)/python bench/documents.py
	$(BIN)/python bench/packs.py
	$(BIN)/python bench/duplicates.py --n 20000
	$(BIN)/python bench/gc.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/upload.py --size-mb 256
	$(BIN)/python bench/analytics.py --n 1000000

# A contact sheet of branded renders (every social preset x profiles x test images).
gallery: install-dev
	$(BIN)/python bench/gallery.py

# The full-size upload measurement from issue 4 (a 1 GiB file through the API to S3).
bench-upload: install-dev
	$(BIN)/python bench/upload.py --size-mb 1024

# Write a migration after changing a model: make migrations NAME=add_focal_point
migrations: install-dev
	$(BIN)/tortoise -c assets_hub.db.DEV_CONFIG makemigrations $(if $(NAME),-n $(NAME))

docs: install
	$(BIN)/python -m assets_hub.settings docs/settings.md

check: install
	$(BIN)/assets-hub check

# The image's file list holds the stylesheet: deploy/Dockerfile's front-end stage is run into a
# temporary folder and the final stage's COPY lines replayed (no Docker engine needed).
image-check:
	$(PYTHON) deploy/check_image.py

# The Kubernetes manifests against the API's schemas, unknown fields refused (fails on any).
deploy-check: install-dev
	$(BIN)/kubernetes-validate --strict --quiet deploy/kubernetes/*.yaml

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
