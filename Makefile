# kho — the two commands a user needs: `make demo` (run) and `make test` (test).
# `make check` is the contributor's fast tier: lint, types and the tests that need no server.
.PHONY: deps lint check test demo bench-quick clean

deps:
	@bash scripts/install-deps.sh

lint: deps
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/python scripts/settings_table.py --check

check: deps lint
	.venv/bin/pytest -q -m "not server" -n auto

test: deps lint
	.venv/bin/pytest

demo: deps
	.venv/bin/kho demo

bench-quick: deps
	.venv/bin/python benchmarks/ingest.py --quick

clean:
	rm -rf .kho test-artifacts .pytest_cache .mypy_cache .ruff_cache
