"""Fixtures of the conformance kit: one parametrised `subject` per assistant, and its live env."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lean_env.base import ProofEnv
from lean_env.registry import ASSISTANTS
from tests.conformance.subjects import SUBJECTS, Subject, load


# Ids are not the bare names: tests/conftest.py skips items whose keywords hold "lean" or "isabelle".
@pytest.fixture(params=[pytest.param(name, marks=load(name).marks, id=f"{name}-subject") for name in SUBJECTS])
def subject(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Subject:
    chosen = load(request.param)
    if chosen.test_only is not None:  # registered for this test only, restored afterwards
        monkeypatch.setattr(ASSISTANTS, "_targets", {**ASSISTANTS._targets, chosen.name: chosen.test_only})
        monkeypatch.setattr(ASSISTANTS, "_loaded", dict(ASSISTANTS._loaded))
    return chosen


@pytest.fixture
def env(subject: Subject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ProofEnv]:
    with subject.start(monkeypatch, tmp_path) as live:
        yield live


@pytest.fixture
def declared(subject: Subject, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """`declared("timeout")`: a check the subject declares unsupported must fail (strict xfail)."""

    def mark(capability: str) -> None:
        why = subject.unsupported.get(capability)
        if why is not None:
            request.applymarker(pytest.mark.xfail(strict=True, reason=f"declared unsupported: {why}"))

    return mark
