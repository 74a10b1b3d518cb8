#!/usr/bin/env bash
# Everything CI checks: style, types, the layer contract, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
# Each on its own line: under `set -e` a failure on the left of `&&` would not stop the script.
echo "== ruff";          ruff check .
ruff format --check .
echo "== mypy";          mypy
echo "== import-linter"; lint-imports
echo "== pytest";        pytest "$@"
