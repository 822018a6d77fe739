# Two commands: `make run` (the demo store, offline) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app shop

# Development defaults for `make run`: the local Stripe stand-in and its signing secret.
export STRIPE_API_BASE ?= http://127.0.0.1:12111
export STRIPE_SECRET_KEY ?= sk_test_local_standin
export STRIPE_WEBHOOK_SECRET ?= whsec_local_standin
export PUBLIC_URL ?= http://127.0.0.1:5000

.PHONY: install run test docs migrate-check clean security

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo
	@echo "  The shop:        http://127.0.0.1:5000"
	@echo "  Staff admin:     http://127.0.0.1:5000/admin  (create a login: $(FLASK) staff create you@example.com --role admin --password 'choose-a-password')"
	@echo "  Stripe stand-in: http://127.0.0.1:12111"
	@echo
	$(BIN)/honcho -f Procfile.dev start

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The documentation site, built into site/ with every warning an error.
DOCS_STAMP := $(VENV)/.docs-stamp
$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,dev,docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# Static analysis (bandit), the dependency audit (pip-audit; an offline machine only warns) and
# schemathesis against the OpenAPI document. Installs the `security` extra.
SECURITY_STAMP := $(VENV)/.security-stamp
$(SECURITY_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,dev,security]'
	touch $(SECURITY_STAMP)

security: $(SECURITY_STAMP)
	$(BIN)/bandit -r shop worker -q
	$(BIN)/python .ci/pip_audit.py
	SCHEMA_EXAMPLES=$${SCHEMA_EXAMPLES:-40} $(BIN)/pytest -q tests/security/test_openapi_contract.py

migrate-check: install
	$(FLASK) db upgrade
	$(FLASK) db check

clean:
	rm -rf $(VENV) instance/*.sqlite3* instance/stripe-standin.json .pytest_cache site
