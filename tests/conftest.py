"""Shared fixtures: skip tests whose proof assistant is absent; locate ../shared/data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_collection_modifyitems(config, items):
    missing = {
        "coq": shutil.which("coqtop") is None or shutil.which("coqc") is None,
        "lean": shutil.which("lake") is None,
        "isabelle": shutil.which("isabelle") is None,
    }
    for item in items:
        for marker, absent in missing.items():
            if absent and marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=f"{marker} is not installed"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"benchmark data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def coq_env():
    from lean_env.coq.env import CoqConfig, CoqEnv

    env = CoqEnv(CoqConfig(tactic_timeout=5.0))
    yield env
    env.close()


@pytest.fixture
def toy_repl_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The toy Lean REPL (tests/fakes/toy_repl.py) logs each request here, one JSON line with its pid;
    its once-only faults keep their markers in tmp_path."""
    log = tmp_path / "requests.jsonl"
    monkeypatch.setenv("FAKE_REPL_LOG", str(log))
    monkeypatch.setenv("FAKE_REPL_STATE", str(tmp_path))
    monkeypatch.setenv("PROVER_SANDBOX_WRITABLE", str(tmp_path))  # the sandboxed toy REPL writes here
    return log
