#!/usr/bin/env bash
# Install everything the tests need (Coq, the CPU build of torch, transformers, ray) and run them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test,hf,openai,eval,policy
python3 -m pytest -q "$@"
