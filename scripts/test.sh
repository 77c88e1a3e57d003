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

# PostgreSQL: the store tests use a real server; start the local cluster if it is installed
# but not running. The tests skip PostgreSQL (saying so) only when no server is reachable.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    for version in /etc/postgresql/*; do
      pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start 2>/dev/null || true
    done
  fi
fi

echo "==> ruff"
.venv/bin/ruff check .
echo "==> mypy (strict)"
.venv/bin/mypy
echo "==> pytest"
.venv/bin/pytest "$@"
