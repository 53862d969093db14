"""Settings of the Lean bridge: one frozen value, no I/O, cheap to send to a worker."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from lean_env.lean_repl.screen import DEFAULT_MAX_HEARTBEATS

# Where `lake build` puts the REPL when it is a dependency of the top-level lakefile.lean.
REPL_BINARY = Path(".lake/packages/REPL/.lake/build/bin/repl")
# Written by `prover setup lean`: the LEAN_PATH `lake env` would compute, so that the REPL
# binary starts directly, without a `lake` process (and its manifest checks) per start.
LEAN_PATH_FILE = "lean-path.txt"
WORKSPACE_VARIABLE = "PROVER_LEAN_WORKSPACE"
GiB = 1 << 30


def default_workspace() -> Path:
    """Where `prover setup lean` builds the Lean project: $PROVER_LEAN_WORKSPACE or the cache."""
    chosen = os.environ.get(WORKSPACE_VARIABLE)
    if chosen:
        return Path(chosen)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "prover" / "lean"


@dataclass(frozen=True, slots=True)
class LeanConfig:
    # The built Lean project (lakefile.lean with Mathlib and the REPL): `prover setup lean` makes it.
    project_dir: Path = field(default_factory=default_workspace)
    # The process to run; None: the project's REPL binary (directly when setup recorded its
    # LEAN_PATH, else under `lake env`). Tests give `(sys.executable, fake_script)`.
    repl_command: tuple[str, ...] | None = None
    # RLIMIT_AS per process. Oleans are mmapped and shared, so address space runs well above
    # resident memory: two search workers, their spares and a verifier fit 64 GiB of RAM.
    memory_limit_bytes: int | None = 16 * GiB
    recycle_rss_bytes: int | None = 8 * GiB  # a process resident above this is replaced
    tactic_timeout: float = 30.0  # wall-clock seconds per tactic (default of run_tactic)
    header_timeout: float = 900.0  # `import Mathlib` can take minutes on a cold page cache
    theorem_timeout: float = 120.0  # elaborating `theorem … := by sorry`
    verify_timeout: float = 300.0  # the whole-proof check
    recycle_after: int = 20_000  # proof steps and states per process before a fresh one (repl #77)
    replay_timeout_factor: float = 4.0  # a replayed tactic gets this multiple of its first limit
    # Proofs compiled per verifying process before a fresh one. 1: code that a proof got to run
    # there (past the screen) is gone before the next proof is compiled.
    verifier_recycle_after: int = 1
    # An answer without `proofStatus` cannot close a proof. False: required once the process
    # has shown one (REPLs before repl #63 print none).
    require_proof_status: bool = False
    pool_size: int = 2  # live processes, one per distinct header, least recently used evicted
    warm_spare: bool = True  # one more process per header, imported ahead: a restart is a swap
    max_heartbeats: int = DEFAULT_MAX_HEARTBEATS  # cap on set_option maxHeartbeats; verifier uses it
    max_response_bytes: int = 64 << 20  # larger answers are treated as garbage (floods)
    log_dir: Path | None = None  # keep the REPLs' stderr files here (None: temporary, deleted)

    def command(self) -> list[str]:
        if self.repl_command is not None:
            return list(self.repl_command)
        binary = str(self.project_dir.resolve() / REPL_BINARY)
        if self.lean_path() is not None:
            return [binary]
        return ["lake", "env", binary]

    def cwd(self) -> Path | None:
        """The REPL's working directory: the project (an explicit command runs where we are)."""
        return None if self.repl_command is not None else self.project_dir

    def lean_path(self) -> str | None:
        """The LEAN_PATH recorded by setup (None: not recorded, start under `lake env`)."""
        if self.repl_command is not None:
            return None
        try:
            return (self.project_dir / LEAN_PATH_FILE).read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def environment(self) -> dict[str, str] | None:
        """The REPL's environment: ours plus the recorded LEAN_PATH (None: inherit ours)."""
        path = self.lean_path()
        return None if path is None else {**os.environ, "LEAN_PATH": path}
