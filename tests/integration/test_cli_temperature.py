"""`--temperature` reaches the engine as given, 0 included, for tactics, sketches and whole proofs;
without it each use decodes at its documented default (prover.model_spec.DEFAULT_TEMPERATURE).

The tiny engine (random weights) is wrapped to record every request it serves."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
from typer.testing import CliRunner

from prover.model_spec import DEFAULT_TEMPERATURE, ENGINES, SKETCHES, TACTICS, WHOLE_PROOFS
from prover_cli.main import app

pytestmark = [pytest.mark.coq, pytest.mark.hf]

HEADER = "Require Import Arith Lia.\n"
STATEMENT = "Theorem double_gt : forall n m : nat, n = 2 * m -> m > 0 -> n > m."


@pytest.fixture
def served(monkeypatch) -> list:
    """The sampling settings of every request the tiny engine serves."""
    load_tiny = ENGINES.get("tiny")
    seen: list = []

    class Recording:
        def __init__(self, engine) -> None:
            self.engine = engine

        def generate_batch(self, requests):
            seen.extend(r.settings for r in requests)
            return self.engine.generate_batch(requests)

        def __getattr__(self, name):
            return getattr(self.engine, name)

    monkeypatch.setitem(ENGINES._loaded, "tiny", lambda config: Recording(load_tiny(config)))
    return seen


def _informal(tmp_path) -> list[str]:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"informal_statement": "Show n > m.", "informal_proof": "n = m + m."}))
    return ["--informal", str(path), "--num-sketches", "1"]


USES = {
    TACTICS: lambda tmp_path: ["--no-portfolio", "--num-samples", "2", "--max-expansions", "1", "--max-new-tokens", "4"],
    SKETCHES: _informal,
    WHOLE_PROOFS: lambda tmp_path: ["--mode", "whole-proof", "--num-samples", "1", "--max-proof-tokens", "4"],
}


@pytest.mark.parametrize("use", sorted(USES))
@pytest.mark.parametrize("given", [None, 0.0])
def test_prove_decodes_at_the_given_temperature_or_the_uses_default(use, given, served, tmp_path):
    extra = [] if given is None else ["--temperature", str(given)]
    args = ["prove", "--statement", STATEMENT, "--header", HEADER, "--model", "tiny", "--engine", "tiny",
            "--wall-time", "60", "--json", *USES[use](tmp_path), *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output  # proved or not: random weights
    assert served, "the engine was never asked"
    expected = DEFAULT_TEMPERATURE[use] if given is None else given
    assert {s.temperature for s in served} == {expected}
    if use == TACTICS and expected == 0:
        assert all(s.beam and s.n == 2 for s in served)  # greedy for several candidates: beam search
    if use != TACTICS and expected == 0:
        assert all(s.n == 1 for s in served)
