#!/usr/bin/env bash
# Run every check CI runs: install what is missing (no demo), then ruff, mypy and the test suite.
# Extra arguments go to pytest (for example: scripts/test.sh -k scenarios).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --no-demo

# Prefect: no telemetry, state kept inside the project, and time for a cold server on 2 cores.
export DO_NOT_TRACK=1
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export PREFECT_HOME="$PWD/.prefect"
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120

echo "==> ruff"
.venv/bin/ruff check .
echo "==> mypy (strict)"
.venv/bin/mypy
echo "==> pytest"
.venv/bin/pytest "$@"
