"""`prover eval --mode informal` on real Coq miniF2F-rocq problems, with human sketches from a folder:
one sketch proves its problem, one has a wrong step, one problem has no sketch. In-process (--workers 0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.results import read_results

pytestmark = [pytest.mark.coq, pytest.mark.slow]

PROVES = "mathd_algebra_388"  # the sketch of tests/integration/test_informal_coq.py
WRONG_STEP = "mathd_algebra_296"
NO_SKETCH = "mathd_numbertheory_239"
NAMES = (PROVES, WRONG_STEP, NO_SKETCH)
SKETCH_388 = (Path(__file__).resolve().parents[1] / "fakes" / "sketches" / "mathd_algebra_388.v").read_text()
SKETCH_WRONG = """Proof.
  rewrite no_such_lemma.
  assert (h : 3600 = 3600) by admit.
  reflexivity.
Qed."""
BUDGET = ["--max-expansions", "6", "--num-samples", "20", "--tactic-timeout", "5", "--wall-time", "60"]


def _eval(shared_data: Path, *args: str):
    from prover_cli.main import app

    argv = ["eval", "--data", str(shared_data / "minif2f/coq"), "--split", "all", "--name", ",".join(NAMES),
            *BUDGET, "--workers", "0", "--no-progress", *args]
    return CliRunner().invoke(app, argv)


@pytest.fixture(scope="module")
def informal_run(shared_data: Path, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("informal")
    sketches = root / "sketches"
    sketches.mkdir()
    (sketches / f"{PROVES}.v").write_text(SKETCH_388)
    (sketches / f"{WRONG_STEP}.1.v").write_text(SKETCH_WRONG)
    (sketches / f"{NO_SKETCH}_other.v").write_text(SKETCH_WRONG)  # another name's file is not this problem's
    out = root / "run"
    result = _eval(shared_data, "--mode", "informal", "--sketches", str(sketches), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "1/3 proved" in result.output
    return out, sketches


def test_informal_eval_writes_one_line_per_problem_and_states_the_mode(informal_run):
    out, sketches = informal_run
    lines = (out / "results.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["name"] for line in lines) == sorted(NAMES)
    by = {r.name: r for r in read_results(out / "results.jsonl")}
    proved = by[PROVES]
    assert proved.proved and proved.error is None and proved.stop_reason == "proved" and proved.attempts == 1
    assert not any("admit" in step for step in proved.proof) and proved.verify_seconds > 0
    wrong = by[WRONG_STEP]
    assert not wrong.proved and wrong.error is None and wrong.stop_reason == "sketches" and wrong.attempts == 1
    missing = by[NO_SKETCH]
    assert not missing.proved and missing.stop_reason == "no_input" and not missing.failed_to_run
    assert missing.error == f"no sketch {NO_SKETCH}.v in {sketches.resolve()}"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["proved"] == 1 and summary["overall"]["total"] == 3
    assert summary["mode"]["name"] == "informal" and summary["mode"]["sketches"] == str(sketches.resolve())
    assert "Mode: informal (Draft-Sketch-Prove)" in (out / "summary.md").read_text()
    assert summary["error_count"] == 0 and NO_SKETCH in summary["missing_input"]
    assert json.loads((out / "config.json").read_text())["mode"] == "informal"


def test_resume_in_formal_mode_is_refused(informal_run, shared_data: Path):
    out, _ = informal_run
    before = (out / "results.jsonl").read_text()
    result = _eval(shared_data, "--resume", str(out), "--mode", "formal")
    assert result.exit_code == 2 and "mode" in result.output
    assert (out / "results.jsonl").read_text() == before


def test_informal_mode_input_errors_exit_2(shared_data: Path, tmp_path: Path):
    cases = [
        (["--mode", "informal"], "--sketches FOLDER or --model"),
        (["--mode", "informal", "--sketches", str(tmp_path / "nowhere")], "no such folder"),
        (["--sketches", str(tmp_path)], "need --mode informal"),
        (["--mode", "semi"], "--mode must be formal, informal or whole-proof"),
    ]
    for args, message in cases:
        result = _eval(shared_data, "--out", str(tmp_path / "run"), *args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)


def test_a_problem_without_informal_text_is_an_error_line(shared_data: Path, tmp_path: Path):
    (tmp_path / "informal" / "test").mkdir(parents=True)  # an informal folder that lacks the problem
    sketches = tmp_path / "sketches"
    sketches.mkdir()
    (sketches / f"{WRONG_STEP}.v").write_text(SKETCH_WRONG)
    out = tmp_path / "run"
    result = _eval(shared_data, "--mode", "informal", "--sketches", str(sketches),
                   "--informal-data", str(tmp_path / "informal"), "--out", str(out))
    assert result.exit_code == 0, result.output
    by = {r.name: r for r in read_results(out / "results.jsonl")}
    assert sorted(by) == sorted(NAMES)  # nothing dropped
    assert not by[WRONG_STEP].proved and by[WRONG_STEP].error == f"{WRONG_STEP}: no informal statement"
