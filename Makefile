# The two commands a newcomer needs: `make demo` and `make test`. Everything else is plumbing; `make` lists it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Where uv may be, in the order `make install` tries: on PATH, in this Python (`python3 -m uv`, wherever pip put
# its script), or where the standalone installer and `pip install --user` put it (~/.local/bin by default), which
# the shell that ran the installer does not have on its PATH yet. A subshell, so its `exit` ends only the search.
FIND_UV = ( command -v uv && exit; \
	python3 -m uv --version >/dev/null 2>&1 && echo "python3 -m uv" && exit; \
	for dir in "$${UV_INSTALL_DIR:-}" "$${XDG_BIN_HOME:-}" "$$HOME/.local/bin" "$$HOME/.cargo/bin"; do \
		[ -n "$$dir" ] && [ -x "$$dir/uv" ] && echo "$$dir/uv" && exit; \
	done; exit 1 ) 2>/dev/null
# Recursive (=, not :=) on purpose: looked up again for each target, after `install` may have just put uv there.
UV ?= $(shell $(FIND_UV) || echo uv)
RUN = $(UV) run --frozen --all-packages

.PHONY: help demo test up down env install unit lint format review whatif chaos bench bench-backoffice bench-gateway console docs

help: ## list the targets (what plain `make` does)
	@echo "Guichet: make <target>   (the README tells more; CONTRIBUTING.md how to work on the code)"
	@awk 'BEGIN { FS = ":[^#]*## " } /^[a-z][a-z-]*:[^=]*## / { printf "  %-9s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

# pip (from PyPI, --user) first: it works wherever pip is allowed, with no other host to reach. A distribution's own
# Python often refuses it (PEP 668: "externally-managed-environment"); then the official installer, which needs
# neither pip nor root.
install: ## install uv if it is missing, then the locked Python environment (uv.lock, every package, dev tools)
	@uv="$$( $(FIND_UV) )"; \
	if [ -z "$$uv" ] && python3 -m pip --version >/dev/null 2>&1; then \
		echo "uv is missing: trying pip install --user uv (from PyPI)" >&2; \
		python3 -m pip install --quiet --user uv && uv="$$( $(FIND_UV) )"; \
	fi; \
	if [ -z "$$uv" ]; then \
		echo "pip is missing or refused (PEP 668): installing uv with the official installer (https://docs.astral.sh/uv/)" >&2; \
		if command -v curl >/dev/null 2>&1; then curl -LsSf https://astral.sh/uv/install.sh | sh; \
		elif command -v wget >/dev/null 2>&1; then wget -qO- https://astral.sh/uv/install.sh | sh; fi; \
		uv="$$( $(FIND_UV) )"; \
	fi; \
	if [ -z "$$uv" ]; then \
		echo "" >&2; \
		echo "Could not install uv (no curl or wget, no network, or pip refused). Install it yourself, then re-run make:" >&2; \
		echo "  curl -LsSf https://astral.sh/uv/install.sh | sh     # or: wget -qO- https://astral.sh/uv/install.sh | sh" >&2; \
		echo "  pipx install uv                                      # or: apt install pipx first (Debian, Ubuntu)" >&2; \
		echo "  python3 -m pip install --user uv                     # where pip is allowed" >&2; \
		echo "uv then lives in ~/.local/bin: this Makefile finds it there even when that is not on your PATH." >&2; \
		exit 1; \
	fi; \
	$$uv sync --frozen --all-packages --quiet

# The demo prints the back-office's address and, on a fresh stack, its first admin's one-time password;
# DEMO_ARGS=--keep-running leaves everything running afterwards, to sign in (`make down` stops it).
demo: install ## start everything, run the portal simulator, print a summary, stop everything
	@$(RUN) python -m guichet_simulator.demo $(DEMO_ARGS)

# The short failure-suite tests (marker chaos: kills, a 3-broker cluster, hostile input; `pytest -m chaos` runs them)
# are left to `make chaos`, whose full-length suite strikes the same faults: they took four of make test's minutes.
# The launcher's 3-broker cluster tests (deploy/tests) joined them when the gateway's tests came (issue 17): two
# more minutes, for faults a single-broker stack cannot show; and the bench's smoke test (marker bench) runs with
# `make bench`, before it measures.
test: lint ## make lint, then unit, integration and end-to-end tests against a real Kafka broker and PostgreSQL
	@$(RUN) pytest -m "not chaos and not bench" --durations=30 $(PYTEST_ARGS)

# Every check runs even when one fails, so one `make lint` shows all there is to fix. mypy takes its files and
# strictness from [tool.mypy] in pyproject.toml.
lint: install ## ruff (rules and format) and mypy, as CI runs them; `make format` fixes what ruff can
	@status=0; \
	$(RUN) ruff check . || status=1; \
	$(RUN) ruff format --check . || status=1; \
	$(RUN) mypy || status=1; \
	exit $$status

format: install ## rewrite the code in the house format and apply ruff's safe fixes
	@$(RUN) ruff format .
	@$(RUN) ruff check --fix .

unit: install ## only the tests that need nothing running (no broker, no database)
	@$(RUN) pytest -m "not integration and not e2e" $(PYTEST_ARGS)

chaos: install ## the tests marked chaos, then the whole failure suite (kills, restarts, poison, SMTP down) with its table
	@$(RUN) pytest -m chaos $(PYTEST_ARGS)
	@$(RUN) python -m guichet_chaos $(CHAOS_ARGS)

# BENCH_ARGS, e.g. "--claims 20000 --rate 300 --latency-seconds 60 --profile bench/profiles"
bench: install ## throughput and latency end to end, next to the transport limit; writes bench/results/latest.json
	@$(RUN) pytest -m bench $(PYTEST_ARGS)
	@$(RUN) python -m guichet_bench $(BENCH_ARGS)

# BENCH_BACKOFFICE_ARGS, e.g. "--claims 100000 --requests 300 --out bench/results/backoffice.json"
bench-backoffice: install ## the back-office's review queue: p50/p95/p99 over real HTTP with 100,000 claims
	@$(RUN) python -m guichet_bench.backoffice $(BENCH_BACKOFFICE_ARGS)

# BENCH_GATEWAY_ARGS, e.g. "--claims 2000 --rate 50 --rate 100 --rate 0 --out bench/results/gateway.json"
bench-gateway: install ## the portals' HTTP door: POST /v1/claims accepted per second, p50/p95/p99, pipeline keeping up
	@$(RUN) python -m guichet_bench.gateway $(BENCH_GATEWAY_ARGS)

up: install ## infrastructure + the services and the back-office in the background (idempotent)
	@$(RUN) python -m guichet_deploy up

env: install ## the addresses in use, as shell assignments (BACKOFFICE_URL among them)
	@$(RUN) python -m guichet_deploy env

down: install ## stop everything `make up` or `make demo` started
	@$(RUN) python -m guichet_deploy down

# Operators' console on the running stack's eligibility data, e.g.
#   make review ARGS="list"        make review ARGS="approve CFN-1 --reason 'Kbis checked'" (GUICHET_TOKEN set)
#   make whatif ARGS="--programme cheque-france-num-2021 --set invoices.latest=2021-03-31"
WITH_ENV = set -a; eval "$$($(RUN) python -m guichet_deploy env 2>/dev/null)"; set +a;

review: install ## the manual-review queue of the running stack: make review ARGS="list"
	@$(WITH_ENV) $(RUN) guichet review $(ARGS)

# The operators' console on the running stack, e.g. make console ARGS="status --watch"; also `uv run guichet ...`
console: install ## the operators' console on the running stack: make console ARGS="status --watch"
	@$(WITH_ENV) $(RUN) guichet $(ARGS)

docs: install ## regenerate the services' AsyncAPI documents, the gateway's docs/openapi.json and the register docs/privacy.md (a test fails when they are stale)
	@$(RUN) python -m guichet_deploy.asyncapi --out docs/asyncapi
	@$(RUN) python -m guichet_gateway.openapi --out docs/openapi.json
	@$(RUN) python -m guichet_common.contracts.reason_codes --markdown --out docs/reason-codes.md
	@$(RUN) python -m guichet_deploy.privacy_register --out docs/privacy.md

whatif: install ## replay decisions under changed programme rules: make whatif ARGS="--programme ... --set ..."
	@$(WITH_ENV) $(RUN) guichet whatif $(ARGS)
