"""LeanEnv.verify over the toy REPL: a separate process, errors, sorries and axioms rejected."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from lean_env.base import Theorem
from lean_env.lean_repl.config import LeanConfig
from lean_env.lean_repl.env import LeanEnv
from lean_env.lean_repl.process import scratch_parent

TOY = Path(__file__).resolve().parents[1] / "fakes" / "toy_repl.py"
HEADER = "import Mathlib\nopen Real\n"
THM = Theorem("toy_thm", HEADER, "theorem toy_thm (a b : ℕ) (h₀ : a = b) : b = a := by", "lean")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FAKE_REPL_LOG", str(tmp_path / "log.jsonl"))
    monkeypatch.setenv("PROVER_SANDBOX_WRITABLE", str(tmp_path))
    with LeanEnv(LeanConfig(repl_command=(sys.executable, str(TOY)), max_heartbeats=300000)) as e:
        yield e


def sent(env_fixture_tmp: Path) -> list[dict]:
    return [json.loads(x) for x in (env_fixture_tmp / "log.jsonl").read_text().splitlines()]


def test_accepted_proof_is_compiled_in_one_process_and_judged_in_another(env: LeanEnv, tmp_path: Path) -> None:
    env.run_tactic(env.open(THM), "intro x")
    verdict = env.verify(THM, ["intro x", "rfl"])
    assert verdict.ok, verdict.message
    assert verdict.axioms == ("propext", "Classical.choice", "Quot.sound")
    assert "set_option maxHeartbeats 300000 in\n" + THM.statement + "\n  skip\n  intro x\n  rfl" in verdict.script
    log = sent(tmp_path)
    search_pid = log[0]["pid"]
    compile_pid = next(r["pid"] for r in log if r.get("cmd", "").startswith("#print axioms toy_thm"))
    check_pid = next(r["pid"] for r in log if "unpickleEnvFrom" in r)
    assert len({search_pid, compile_pid, check_pid}) == 3
    compiled = [r for r in log if r["pid"] == compile_pid]
    # header, statement alone, the root state, the proof as one tactic block there, the proof as
    # a command, the verifier's own type check, axioms, pickle of the proof's env
    assert [r.get("env") for r in compiled] == [None, 0, 0, None, 1, 3, 4, 3]
    assert compiled[1]["cmd"] == (
        "abbrev _prover_original_statement : Prop :=\n  ∀ (a b : ℕ) (h₀ : a = b),\n    b = a")
    assert compiled[2]["cmd"].endswith(":= by sorry")
    assert compiled[3]["tactic"] == "focus\n  skip\n  intro x\n  rfl"
    assert compiled[4]["cmd"].endswith(":= by\n  skip\n  intro x\n  rfl")
    assert compiled[4]["cmd"].startswith("set_option maxHeartbeats")
    assert compiled[5]["cmd"] == "example : _prover_original_statement := @toy_thm"
    assert compiled[6]["cmd"] == "#print axioms toy_thm"
    pickle = compiled[7]["pickleTo"]
    assert not Path(pickle).exists()  # removed once loaded
    checked = [r for r in log if r["pid"] == check_pid]
    # header, statement alone, scope probe, the pickle loaded, probe there, type check, axioms
    assert [r.get("env") for r in checked] == [None, 0, 0, None, 3, 3, 5]
    assert checked[0]["cmd"] == HEADER and checked[1]["cmd"] == compiled[1]["cmd"]
    assert Path(checked[3]["unpickleEnvFrom"]).name.endswith(".olean")  # a copy (below)
    assert checked[2]["cmd"] == checked[4]["cmd"] and checked[2]["cmd"].startswith("#eval")
    assert checked[5]["cmd"] == (
        "set_option debug.skipKernelTC false in\ntheorem _root_._prover_check :\n  ∀ (a b : ℕ) (h₀ : a = b),\n    b = a :=\n  @_root_.toy_thm")
    assert checked[6]["cmd"] == "#print axioms _prover_check"
    assert not any("rfl" in json.dumps(r) for r in checked)  # no text of the proof reaches it


@pytest.mark.parametrize(
    "proof, why",
    [
        # LIAR: the proof ran code in the compiling process, which then answers every check as clean
        (["exact EXTRA_AXIOM LIAR"], "in a fresh process: uses axioms beyond the allowed ones"),
        (["exact WRONG_TYPE LIAR"], "in a fresh process, the proved constant does not have"),
        (["exact AXIOM_PHRASE LIAR"], "in a fresh process: the #print axioms answer is not exactly"),
        (["exact FORGE_IMPORTS LIAR"], "imports or scope differ from the header's"),
        (["exact REPLAY_FAILS"], "does not replay in a fresh process"),
    ],
)
def test_the_checking_process_judges_what_the_compiling_one_says(env: LeanEnv, proof: list[str], why: str) -> None:
    verdict = env.verify(THM, proof)
    assert not verdict.ok and why in verdict.message, verdict.message


def test_a_header_the_scope_probe_cannot_run_in_is_refused(env: LeanEnv) -> None:
    theorem = Theorem("toy_thm", "import Init -- NO_META\n", THM.statement, "lean")
    verdict = env.verify(theorem, ["rfl"])
    assert not verdict.ok and "cannot report its header's imports" in verdict.message


def test_the_checker_reads_a_copy_in_its_own_scratch_directory(env: LeanEnv, tmp_path: Path) -> None:
    assert env.verify(THM, ["rfl"]).ok
    log = sent(tmp_path)
    written = Path(next(r["pickleTo"] for r in log if "pickleTo" in r))
    read = Path(next(r["unpickleEnvFrom"] for r in log if "unpickleEnvFrom" in r))
    assert written.parent != read.parent and written.name != read.name
    assert written.parent.parent == read.parent.parent == scratch_parent()  # what each sandbox hides
    assert not written.exists() and not read.exists()


def test_only_a_plain_file_of_bounded_size_is_copied_for_the_checker(tmp_path: Path, monkeypatch) -> None:
    """The compiling process chose what lies at the pickle's path: a link to a host file, a FIFO
    that never ends, a huge file are refused, never followed, read or copied."""
    from lean_env.lean_repl import verify

    host = tmp_path / "host-secret"
    host.write_text("secret")
    copy = tmp_path / "copy.olean"
    link = tmp_path / "link.olean"
    link.symlink_to(host)
    assert "no plain file" in verify._copy_pickle(link, copy) and not copy.exists()
    fifo = tmp_path / "fifo.olean"
    os.mkfifo(fifo)
    assert "not a plain file" in verify._copy_pickle(fifo, copy)
    big = tmp_path / "big.olean"
    big.write_bytes(b"x" * 2000)
    monkeypatch.setattr(verify, "MAX_PICKLE_BYTES", 1000)
    assert "more than 1000" in verify._copy_pickle(big, copy)
    small = tmp_path / "small.olean"
    small.write_bytes(b"pickle")
    assert verify._copy_pickle(small, copy) is None and copy.read_bytes() == b"pickle"


@pytest.mark.parametrize(
    "proof, why",
    [
        (["VERIFY_FAIL"], "error at line"),
        (["SORRY_WARNING"], "declaration uses sorry"),
        (["exact EXTRA_AXIOM"], "beyond the allowed ones: Lean.ofReduceBool"),
        (["exact WRONG_TYPE"], "does not have the original statement's type"),
        (["exact AXIOM_PHRASE"], "not exactly Lean's phrase"),
        (["exact?"], "search left in a final proof"),
        (["exact h def x : Nat := 1"], "new command"),
        (["sorry"], "rejected before sending"),
        (["native_decide"], "rejected before sending"),
        (["simp\n#exit"], "rejected before sending"),
        ([], "empty proof"),
    ],
)
def test_rejections(env: LeanEnv, proof: list[str], why: str) -> None:
    verdict = env.verify(THM, proof)
    assert not verdict.ok and why in verdict.message, verdict.message


def test_changed_statement_and_wrong_name_are_rejected(env: LeanEnv) -> None:
    env.open(THM)
    weaker = Theorem(THM.name, HEADER, "theorem toy_thm (a : ℕ) : a = a := by", "lean")
    assert "differs" in env.verify(weaker, ["rfl"]).message
    renamed = Theorem("other", HEADER, THM.statement, "lean")
    assert "declares 'toy_thm'" in env.verify(renamed, ["rfl"]).message


def test_no_axioms_is_fine(env: LeanEnv) -> None:
    verdict = env.verify(THM, ["exact NO_AXIOMS"])
    assert verdict.ok and verdict.axioms == ()


def test_each_proof_is_compiled_and_judged_by_processes_of_its_own(env: LeanEnv, tmp_path: Path) -> None:
    """Code one proof got to run in the compiling process is gone before the next is compiled."""
    assert not env.verify(THM, ["exact EXTRA_AXIOM LIAR"]).ok
    assert env.verify(THM, ["rfl"]).ok
    log = sent(tmp_path)
    compilers = [r["pid"] for r in log if "pickleTo" in r]
    checkers = [r["pid"] for r in log if "unpickleEnvFrom" in r]
    assert len(set(compilers)) == 2 and len(set(checkers)) == 2


def test_text_that_would_end_the_tactic_block_and_run_commands_is_never_compiled(
    env: LeanEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the screen: a step the REPL cannot parse as one tactic, to the end of its text, is
    refused before the proof is compiled as a command (where the commands after it would run)."""
    monkeypatch.setattr("lean_env.lean_repl.verify.screen_tactic", lambda *a, **k: None)
    trailing = "exact h\nset_premise_selector fun _ _ => pure #[]"
    verdict = env.verify(THM, ["intro x", trailing])
    assert not verdict.ok and "does not run as one tactic block" in verdict.message
    assert "unexpected token 'set_premise_selector'" in verdict.message
    # a stray `)`: with a bracket of ours around the block it would close it, and `<;> ...` go on
    stray = "norm_num)\n<;> open Nat in exact (foo"
    verdict = env.verify(THM, [stray])
    assert not verdict.ok and "unexpected token ')'" in verdict.message
    assert not any("set_premise_selector" in r.get("cmd", "") or "norm_num)" in r.get("cmd", "")
                   for r in sent(tmp_path))


def test_without_the_sandbox_the_verifier_says_its_processes_are_not_separated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PROVER_NO_SANDBOX", "1")
    monkeypatch.setenv("FAKE_REPL_LOG", str(tmp_path / "log.jsonl"))
    with LeanEnv(LeanConfig(repl_command=(sys.executable, str(TOY)))) as env:
        assert env.verify(THM, ["rfl"]).ok
    assert "can read and write each other's files" in caplog.text


@pytest.mark.parametrize("toolchain, replays", [("leanprover/lean4:v4.24.0\n", True),
                                                 ("leanprover/lean4:v4.33.0-rc2\n", False),
                                                 ("nightly\n", None)])
def test_whether_the_workspace_repl_replays_pickles(tmp_path: Path, toolchain: str, replays) -> None:
    from lean_env.lean_repl.env import replays_pickles

    (tmp_path / "lean-toolchain").write_text(toolchain)
    assert replays_pickles(LeanConfig(project_dir=tmp_path)) is replays


def test_many_steps_are_not_refused_for_their_length_together(env: LeanEnv) -> None:
    """Each step is held to the screen's length limit; the steps joined (screened again, as Lean
    reads them) are as long as they are together, for the verifier and for a sketch (red-team
    round 25: a proof of many steps was refused as one over-long tactic)."""
    from lean_env.lean_repl.screen import MAX_TACTIC_CHARS
    from lean_env.lean_repl.sketch import extract_steps

    step = "skip -- " + "a note on the step " * 30
    proof = [step] * (MAX_TACTIC_CHARS // len(step) + 2) + ["intro x", "rfl"]
    assert len("\n".join(proof)) > MAX_TACTIC_CHARS
    verdict = env.verify(THM, proof)
    assert verdict.ok, verdict.message
    assert extract_steps(THM, "\n".join(proof)) == [p.split(" --")[0] for p in proof]
    too_long = env.verify(THM, ["intro x", "rfl -- " + "x" * MAX_TACTIC_CHARS])
    assert not too_long.ok and "longer than" in too_long.message
    too_many = env.verify(THM, [step] * (5 * MAX_TACTIC_CHARS // len(step) + 1) + ["intro x", "rfl"])
    assert not too_many.ok and "longer than" in too_many.message  # a proof has its limit too


def test_a_proof_too_long_for_one_request_is_rejected_not_raised(
    env: LeanEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps that each went through alone may not fit one request together: a rejection, with
    nothing of the proof sent (red-team round 25; an exception escaped verify). The request
    limit is lowered here: the screen's limit on a proof keeps real ones far below it."""
    monkeypatch.setattr("lean_env.lean_repl.protocol.MAX_REQUEST_CHARS", 20_000)
    verdict = env.verify(THM, ["skip -- " + "p" * 9_000] * 3 + ["intro x", "rfl"])
    assert not verdict.ok and "cannot be sent to the REPL" in verdict.message
    log = sent(tmp_path) if (tmp_path / "log.jsonl").exists() else []  # no process was needed
    assert not any("skip -- p" in r.get("cmd", r.get("tactic", "")) for r in log)
