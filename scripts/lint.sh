#!/usr/bin/env bash
# Static checks: ruff over the whole tree, mypy --strict on the protocol seams and the search
# (both configured in pyproject.toml). Installs ruff and mypy with pip when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

pip_install() {
  # Debian's system Python refuses pip without this flag (PEP 668); pyenv/venv Pythons do not need it.
  python3 -m pip install -q --disable-pip-version-check "$@" 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages "$@"
}
python3 -m ruff --version >/dev/null 2>&1 || pip_install "ruff>=0.6"
python3 -m mypy --version >/dev/null 2>&1 || pip_install "mypy>=1.11"

python3 -m ruff check .
python3 -m mypy
