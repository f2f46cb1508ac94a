# The two commands a newcomer needs: `make demo` and `make test`. Everything else is plumbing.
SHELL := /bin/bash
# uv from PATH if there is one, else the one `make install` puts in this Python (`python3 -m uv` finds it
# whatever bin folder pip chose).
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen --all-packages

.PHONY: demo test up down env install unit review whatif chaos bench console docs

install: ## install uv (if missing) and the locked Python environment
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --all-packages --quiet

demo: install ## start everything, run the portal simulator, print a summary, stop everything
	@$(RUN) python -m guichet_simulator.demo $(DEMO_ARGS)

test: install ## unit, integration and end-to-end tests against a real Kafka broker and PostgreSQL
	@$(RUN) pytest $(PYTEST_ARGS)

unit: install
	@$(RUN) pytest -m "not integration and not e2e" $(PYTEST_ARGS)

chaos: install ## the whole failure suite (kills, restarts, poison, SMTP down); prints a table of figures
	@$(RUN) python -m guichet_chaos $(CHAOS_ARGS)

# BENCH_ARGS, e.g. "--claims 20000 --rate 300 --latency-seconds 60 --profile bench/profiles"
bench: install ## throughput and latency end to end, next to the transport limit; writes bench/results/latest.json
	@$(RUN) python -m guichet_bench $(BENCH_ARGS)

up: install ## infrastructure + the four services in the background (idempotent)
	@$(RUN) python -m guichet_deploy up

env: install ## the addresses in use, as shell assignments
	@$(RUN) python -m guichet_deploy env

down: install ## stop everything `make up` or `make demo` started
	@$(RUN) python -m guichet_deploy down

# Operators' console on the running stack's eligibility data, e.g.
#   make review ARGS="list"        make review ARGS="approve CFN-1 --operator alice --reason 'Kbis checked'"
#   make whatif ARGS="--programme cheque-france-num-2021 --set invoices.latest=2021-03-31"
WITH_ENV = set -a; eval "$$($(RUN) python -m guichet_deploy env 2>/dev/null)"; set +a;

review: install
	@$(WITH_ENV) $(RUN) python -m guichet_eligibility.cli review $(ARGS)

# The operators' console on the running stack, e.g. make console ARGS="status --watch"; also `uv run guichet ...`
console: install
	@$(WITH_ENV) $(RUN) guichet $(ARGS)

docs: install ## regenerate the services' AsyncAPI documents in docs/asyncapi (a test fails when they are stale)
	@$(RUN) python -m guichet_common.asyncapi --out docs/asyncapi

whatif: install
	@$(WITH_ENV) $(RUN) python -m guichet_eligibility.cli whatif $(ARGS)
