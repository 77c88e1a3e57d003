#!/usr/bin/env bash
# Install everything dtia needs on Debian/Ubuntu and run the demo assessment.
#   system packages: Pango/HarfBuzz (WeasyPrint), Noto fonts with CJK, poppler-utils (PDF checks),
#                    softhsm2 (a PKCS#11 token for the signing tests), chromium (the portal's
#                    browser tests), python3-venv where the interpreter lacks it
#   .venv/:          dtia and its Python dependencies, with the development tools (pytest, ruff, mypy)
# Options: --no-demo  install only (the test script uses this).
set -euo pipefail
cd "$(dirname "$0")/.."

demo=1
[ "${1:-}" = "--no-demo" ] && demo=0
PYTHON=${PYTHON:-python3}

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig
          fonts-noto-core fonts-noto-cjk fonts-dejavu-core poppler-utils softhsm2 chromium)
"$PYTHON" -c "import venv, ensurepip" 2>/dev/null || packages+=(python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q -U pip
fi
echo "==> installing dtia into .venv"
.venv/bin/python -m pip install -q -e ".[dev]"

if [ "$demo" -eq 1 ]; then
  echo "==> demo: FPT Smart Cloud -> FPT Japan Holdings, as of 2026-11-22"
  .venv/bin/dtia assess examples/fpt-smart-cloud-to-fpt-japan/intake.yaml --as-of 2026-11-22 --out out/demo
  echo "==> demo: its dossier: the review pack (internal) and the filing pack, and their verification"
  # The FPT example is ready to file: exit 0 with filing.pdf (exit 3 would mean not ready).
  .venv/bin/dtia dossier examples/fpt-smart-cloud-to-fpt-japan/intake.yaml --as-of 2026-11-22 --out out/demo
  .venv/bin/dtia dossier verify out/demo/review.pdf
  .venv/bin/dtia dossier verify out/demo/filing.pdf --review out/demo/review.pdf
fi
