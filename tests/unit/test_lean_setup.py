"""`setup_lean` fails with one clear line for each missing piece (no Lean needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lean_env.base import SetupError
from lean_env.lean_repl.setup import setup_lean

REPO = Path(__file__).resolve().parents[2]


def test_pinned_versions_match_the_minif2f_data() -> None:
    assert (REPO / "lean-toolchain").read_text().strip() == "leanprover/lean4:v4.24.0"
    lakefile = (REPO / "lakefile.lean").read_text()
    assert '"https://github.com/leanprover-community/mathlib4" @ "v4.24.0"' in lakefile
    assert '"https://github.com/leanprover-community/repl" @ "v4.24.0"' in lakefile


def test_missing_lake_is_one_line() -> None:
    with pytest.raises(SetupError) as caught:
        setup_lean(REPO, which=lambda name: None)
    assert "lake not found" in str(caught.value) and "elan" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_offline_cache_fetch_stops_with_the_failing_step() -> None:
    calls: list[list[str]] = []

    def offline(argv, cwd, timeout):
        calls.append(list(argv))
        return subprocess.CompletedProcess(argv, 1, "", "curl: (6) Could not resolve host\n")

    with pytest.raises(SetupError, match=r"Mathlib cache \(needs network\) failed: curl: \(6\)"):
        setup_lean(REPO, which=lambda name: "/usr/bin/" + name, run=offline)
    assert calls == [["lake", "exe", "cache", "get"]]


def test_build_without_binary_is_reported(tmp_path: Path) -> None:
    for name in ("lakefile.lean", "lean-toolchain"):
        (tmp_path / name).write_text((REPO / name).read_text())
    ok = lambda argv, cwd, timeout: subprocess.CompletedProcess(argv, 0, "", "")
    with pytest.raises(SetupError, match="no binary"):
        setup_lean(tmp_path, which=lambda name: "/usr/bin/" + name, run=ok)
    with pytest.raises(SetupError, match="missing"):
        setup_lean(tmp_path / "nowhere", which=lambda name: None)
