"""`prover setup lean`: toolchain check, project workspace, Mathlib cache, REPL build, smoke proof.

Each step fails with one line saying what is missing (no Lean, no network, a failed build),
so an offline machine gets an actionable message instead of a lake stack trace.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

from lean_env.base import EnvError, SetupError, Theorem
from lean_env.lean_repl.config import LEAN_PATH_FILE, REPL_BINARY, LeanConfig, default_workspace

log = logging.getLogger(__name__)

SMOKE = Theorem(
    "prover_setup_smoke",
    "import Mathlib\n",
    "theorem prover_setup_smoke (a b : ℕ) (h : a = b) : b + 0 = a := by",
    "lean",
)
SMOKE_PROOF = ("simp [h]",)
PROJECT_FILES = ("lakefile.lean", "lean-toolchain", "lake-manifest.json")

Runner = Callable[[Sequence[str], Path, float], subprocess.CompletedProcess]


def _run(argv: Sequence[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def install_project(workspace: Path) -> Path:
    """Copy the Lean project shipped with the package into `workspace` (kept if unchanged)."""
    workspace.mkdir(parents=True, exist_ok=True)
    shipped = resources.files("lean_env.lean_repl") / "project"
    for name in PROJECT_FILES:
        text = (shipped / name).read_text(encoding="utf-8")
        target = workspace / name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    return workspace


def setup_lean(
    workspace: Path | None = None,
    *,
    smoke: bool = True,
    timeout: float = 3600.0,
    run: Runner = _run,
    which: Callable[[str], str | None] = shutil.which,
) -> Path:
    """Build the Lean project in `workspace` (default: the cache workspace) for LeanEnv.

    Works from any directory: the project files travel with the package. Steps: copy them,
    fetch the Mathlib cache, build the REPL, record LEAN_PATH once (the REPL then starts
    without `lake`), and prove one theorem. Returns the workspace.

    Raises:
        SetupError: one line naming what is missing or what failed.
    """
    if which("lake") is None:
        hint = "elan is installed but lake is not on PATH" if which("elan") else "elan is not installed"
        raise SetupError(
            f"lake not found ({hint}): install elan with "
            "`curl https://elan.lean-lang.org/elan-init.sh -sSf | sh` and reopen the shell"
        )
    try:
        workspace = install_project((workspace or default_workspace()).resolve())
    except OSError as e:
        raise SetupError(f"cannot write the Lean project to {workspace}: {e.strerror}") from None
    steps = [
        (["lake", "exe", "cache", "get"], "fetching the Mathlib cache (needs network)"),
        (["lake", "build", "REPL/repl"], "building the REPL"),
        (["lake", "env", "printenv", "LEAN_PATH"], "reading LEAN_PATH"),
    ]
    for argv, what in steps:
        log.info("%s: %s", what, " ".join(argv))
        try:
            done = run(argv, workspace, timeout)
        except subprocess.TimeoutExpired:
            raise SetupError(f"{what} timed out after {timeout:.0f}s") from None
        except OSError as e:
            raise SetupError(f"{what} could not start {argv[0]}: {e.strerror}") from None
        if done.returncode != 0:
            raise SetupError(f"{what} failed: {_last_line(done.stderr or done.stdout)}")
        if argv[1] == "build" and not (workspace / REPL_BINARY).is_file():
            raise SetupError(f"the REPL build produced no binary at {workspace / REPL_BINARY}")
    lean_path = done.stdout.strip()
    if not lean_path:
        raise SetupError("`lake env printenv LEAN_PATH` printed nothing")
    (workspace / LEAN_PATH_FILE).write_text(lean_path + "\n", encoding="utf-8")
    if smoke:
        smoke_check(LeanConfig(project_dir=workspace))
    return workspace


def smoke_check(config: LeanConfig) -> None:
    """Open, step and verify one tiny Mathlib theorem; SetupError if any part fails."""
    from lean_env.base import Proved
    from lean_env.lean_repl.env import LeanEnv

    try:
        with LeanEnv(config) as env:
            root = env.open(SMOKE)
            result = env.run_tactic(root, SMOKE_PROOF[0])
            if not isinstance(result, Proved):
                raise SetupError(f"smoke check: `{SMOKE_PROOF[0]}` did not prove the test theorem: {result}")
            verdict = env.verify(SMOKE, result.proof)
            if not verdict.ok:
                raise SetupError(f"smoke check: verification failed: {verdict.message}")
    except (EnvError, ValueError) as e:
        if isinstance(e, SetupError):
            raise
        raise SetupError(f"smoke check failed: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from e
