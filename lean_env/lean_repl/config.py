"""Settings of the Lean bridge: one frozen value, no I/O, cheap to send to a worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lean_env.lean_repl.screen import DEFAULT_MAX_HEARTBEATS

# Where `lake build` puts the REPL when it is a dependency of the top-level lakefile.lean.
REPL_BINARY = Path(".lake/packages/REPL/.lake/build/bin/repl")
GiB = 1 << 30


@dataclass(frozen=True, slots=True)
class LeanConfig:
    project_dir: Path = Path(".")  # the Lean project (lakefile.lean with Mathlib and the REPL)
    # The process to run; None: `lake env <project>/.lake/packages/REPL/.lake/build/bin/repl`.
    # Tests give `(sys.executable, fake_script)`.
    repl_command: tuple[str, ...] | None = None
    memory_limit_bytes: int | None = 16 * GiB  # RLIMIT_AS per process (oleans are mmapped)
    tactic_timeout: float = 30.0  # wall-clock seconds per tactic (default of run_tactic)
    header_timeout: float = 900.0  # `import Mathlib` can take minutes on a cold page cache
    theorem_timeout: float = 120.0  # elaborating `theorem … := by sorry`
    verify_timeout: float = 300.0  # the whole-proof check
    recycle_after: int = 20_000  # proof steps and states per process before a fresh one (repl #77)
    replay_timeout_factor: float = 4.0  # a replayed tactic gets this multiple of its first limit
    verifier_recycle_after: int = 200  # proofs checked per verifier process before a fresh one
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
        return ["lake", "env", str(self.project_dir.resolve() / REPL_BINARY)]
