#!/usr/bin/env bash
# Install the prover and Coq (the backend that runs everywhere). Idempotent; run as root on Debian.
# Usage: scripts/setup.sh [EXTRAS]   e.g. scripts/setup.sh test,hf,eval
# With the `hf` extra, the CPU build of torch is installed first (pinned: an unpinned torch pulls
# several GB of CUDA packages); install a CUDA build yourself on a GPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v coqc >/dev/null 2>&1 || need_apt+=(coq libcoq-coquelicot)
[ -d /usr/lib/ocaml/coq/user-contrib/Hammer ] || need_apt+=(libcoq-hammer eprover z3)   # sauto, hammer (E and Z3 pick lemmas)
[ -d /usr/lib/ocaml/coq/user-contrib/Interval ] || need_apt+=(libcoq-interval)        # interval: bounds on sqrt, ln, exp
command -v csdp >/dev/null 2>&1 || need_apt+=(coinor-csdp)   # psatz's external solver
[ -f /usr/share/hol-light/hol.ml ] || need_apt+=(hol-light)         # HOL Light (prover setup hol-light checks it)
[ -f /usr/lib/ocaml/nums.cma ] || need_apt+=(libnum-ocaml-dev)       # HOL Light cannot load without nums.cma
command -v bwrap >/dev/null 2>&1 || need_apt+=(bubblewrap)   # the sandbox around every proof assistant
python3 -m pip --version >/dev/null 2>&1 || need_apt+=(python3-pip)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

pip_install() {
  # Debian's system Python refuses pip without this flag (PEP 668); pyenv/venv Pythons do not need it.
  python3 -m pip install -q --disable-pip-version-check "$@" 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages "$@"
}
extras="${1:-}"
case ",$extras," in
  *,hf,*) pip_install "torch==2.13.0" ;;
esac
pip_install -e ".${extras:+[$extras]}"
