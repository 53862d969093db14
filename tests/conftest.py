"""Shared fixtures: skip tests whose proof assistant is absent; locate ../shared/data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def _hol_light_missing() -> str | None:
    """Why HOL Light cannot run here (not installed, or nums.cma missing), or None."""
    from lean_env.base import SetupError
    from lean_env.hol_light.zygote import check_installed

    try:
        check_installed()
    except SetupError as exc:
        return str(exc)
    return None


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
    hol_missing = _hol_light_missing() if any("hol_light" in item.keywords for item in items) else None
    for item in items:
        if hol_missing and "hol_light" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=hol_missing))


def pytest_collection_finish(session):
    """Load HOL Light's zygote once, before the first test that needs it: loading takes minutes
    of CPU, longer than any one test's timeout, and every HOL Light test forks from it."""
    if any("hol_light" in item.keywords for item in session.items) and _hol_light_missing() is None:
        from lean_env.base import SetupError
        from lean_env.hol_light.zygote import shared_zygote

        try:
            shared_zygote()
        except SetupError:
            pass  # the tests that need it fail with the reason


@pytest.fixture(scope="session")
def hol_zygote():
    """The HOL Light zygote of the whole test run (skips with the reason when HOL Light is missing)."""
    why = _hol_light_missing()
    if why:
        pytest.skip(why)
    from lean_env.hol_light.zygote import shared_zygote

    return shared_zygote()


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
