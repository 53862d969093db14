"""`setup_lean` builds the packaged Lean project anywhere, and fails with one clear line for each
missing piece (no Lean needed: lake is replaced by a recorder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lean_env.base import SetupError
from lean_env.lean_repl.config import LEAN_PATH_FILE, REPL_BINARY, LeanConfig
from lean_env.lean_repl.setup import PROJECT_FILES, setup_lean

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "lean_env" / "lean_repl" / "project"
MINIF2F_MANIFEST = REPO.parent / "shared" / "data" / "minif2f" / "lean4" / "src" / "lake-manifest.json"
HAVE = lambda name: "/usr/bin/" + name  # noqa: E731


def test_pinned_versions_match_the_minif2f_data() -> None:
    assert (PROJECT / "lean-toolchain").read_text().strip() == "leanprover/lean4:v4.24.0"
    lakefile = (PROJECT / "lakefile.lean").read_text()
    assert '"https://github.com/leanprover-community/mathlib4" @ "v4.24.0"' in lakefile
    assert '"https://github.com/leanprover-community/repl" @ "v4.24.0"' in lakefile


@pytest.mark.skipif(not MINIF2F_MANIFEST.exists(), reason="miniF2F-lean4 sources not staged")
def test_manifest_pins_every_package_by_commit_as_minif2f_does() -> None:
    ours = {p["name"]: p for p in json.loads((PROJECT / "lake-manifest.json").read_text())["packages"]}
    theirs = {p["name"]: p for p in json.loads(MINIF2F_MANIFEST.read_text())["packages"]}
    for name, package in theirs.items():  # Mathlib and all it brings, at miniF2F's commits
        assert ours[name]["rev"] == package["rev"] and ours[name]["url"] == package["url"], name
    assert ours["mathlib"]["rev"] == "f897ebcf72cd16f89ab4577d0c826cd14afaafc7"
    repl = ours["REPL"]
    assert repl["inputRev"] == "v4.24.0" and repl["rev"] == "8fff8552292860d349b459d6a811e6915671dc0d"
    assert set(ours) == set(theirs) | {"REPL"}
    assert all(len(p["rev"]) == 40 for p in ours.values())


def test_missing_lake_is_one_line() -> None:
    with pytest.raises(SetupError) as caught:
        setup_lean(Path("/nonexistent/ws"), which=lambda name: None)
    assert "lake not found" in str(caught.value) and "elan" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_offline_cache_fetch_stops_with_the_failing_step(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def offline(argv, cwd, timeout):
        calls.append(list(argv))
        return subprocess.CompletedProcess(argv, 1, "", "curl: (6) Could not resolve host\n")

    with pytest.raises(SetupError, match=r"Mathlib cache \(needs network\) failed: curl: \(6\)"):
        setup_lean(tmp_path / "ws", which=HAVE, run=offline)
    assert calls == [["lake", "exe", "cache", "get"]]


def test_build_without_binary_is_reported(tmp_path: Path) -> None:
    ok = lambda argv, cwd, timeout: subprocess.CompletedProcess(argv, 0, "", "")  # noqa: E731
    with pytest.raises(SetupError, match="no binary"):
        setup_lean(tmp_path / "ws", which=HAVE, run=ok)


def test_setup_builds_the_shipped_project_in_a_workspace_and_records_lean_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not the repository: the project comes from the package
    workspace = tmp_path / "cache" / "lean"
    ran: list[tuple[list[str], Path]] = []

    def lake(argv, cwd, timeout):
        ran.append((list(argv), cwd))
        if argv[1] == "build":
            (cwd / REPL_BINARY).parent.mkdir(parents=True)
            (cwd / REPL_BINARY).write_text("")
        out = "/ws/.lake/packages/mathlib/.lake/build/lib/lean:/toolchain/lib/lean\n" if "printenv" in argv else ""
        return subprocess.CompletedProcess(argv, 0, out, "")

    assert setup_lean(workspace, smoke=False, which=HAVE, run=lake) == workspace.resolve()
    assert [argv for argv, _ in ran] == [["lake", "exe", "cache", "get"], ["lake", "build", "REPL/repl"],
                                         ["lake", "env", "printenv", "LEAN_PATH"]]
    assert {cwd for _, cwd in ran} == {workspace.resolve()}
    for name in PROJECT_FILES:
        assert (workspace / name).read_text() == (PROJECT / name).read_text()
    assert (workspace / LEAN_PATH_FILE).read_text().startswith("/ws/.lake/packages/mathlib")
    config = LeanConfig(project_dir=workspace)
    assert config.command() == [str(workspace.resolve() / REPL_BINARY)]  # no `lake env` per start
    assert config.environment()["LEAN_PATH"] == "/ws/.lake/packages/mathlib/.lake/build/lib/lean:/toolchain/lib/lean"
    assert LeanConfig(project_dir=tmp_path / "unbuilt").command()[:2] == ["lake", "env"]


def test_cli_setup_from_another_directory_names_the_missing_toolchain(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PATH": "/nonexistent", "PROVER_LEAN_WORKSPACE": str(tmp_path / "ws")}
    proc = subprocess.run([sys.executable, "-m", "prover_cli.main", "setup", "lean"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 3 and "lake not found" in proc.stderr and "repository root" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_default_workspace_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PROVER_LEAN_WORKSPACE", str(tmp_path / "ws"))
    assert LeanConfig().project_dir == tmp_path / "ws"
    monkeypatch.delenv("PROVER_LEAN_WORKSPACE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert LeanConfig().project_dir == tmp_path / "cache" / "prover" / "lean"


def test_cli_setup_from_another_directory_builds_in_the_workspace(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    lake = bin_dir / "lake"  # stands in for lake: the three steps setup runs, in the workspace
    lake.write_text(
        "#!/bin/sh\n"
        'case "$1 $2" in\n'
        '  "exe cache") test -f lakefile.lean && test -f lake-manifest.json ;;\n'
        '  "build REPL/repl") mkdir -p .lake/packages/REPL/.lake/build/bin && : > .lake/packages/REPL/.lake/build/bin/repl ;;\n'
        '  "env printenv") echo /ws/lib/lean ;;\n'
        "  *) exit 9 ;;\n"
        "esac\n"
    )
    lake.chmod(0o755)
    workspace = tmp_path / "ws"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "PROVER_LEAN_WORKSPACE": str(workspace)}
    proc = subprocess.run([sys.executable, "-m", "prover_cli.main", "setup", "lean", "--no-smoke"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert f"Lean is ready in {workspace}" in proc.stdout
    assert (workspace / LEAN_PATH_FILE).read_text().strip() == "/ws/lib/lean"
    assert (workspace / REPL_BINARY).is_file() and (workspace / "lean-toolchain").is_file()
