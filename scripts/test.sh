#!/usr/bin/env bash
# Install everything the tests need (Coq, the CPU build of torch, transformers, ray), run the
# static checks (scripts/lint.sh), then the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test,hf,openai,eval,policy
bash scripts/lint.sh
python3 -m pytest -q "$@"
