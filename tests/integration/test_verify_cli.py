"""`prover verify`: re-checking proofs from a .v file and from results JSONL, on real Coq."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.coq

REPO = Path(__file__).resolve().parents[2]
MINIF2F_COQ = REPO.parent / "shared" / "data" / "minif2f" / "coq"

PROOFS = """Require Import Arith Lia.
Theorem a : 2 + 2 = 4.
Proof. reflexivity. Qed.
Lemma b : forall n, n + 0 = n.
Proof.
  intros n. lia.
Qed.
Theorem c : 1 = 2.
Proof. Admitted.
Theorem d : True /\\ True.
Proof. split. - exact I. - exact I. Qed.
Theorem e : 1 = 2.
Proof. idtac. Abort.
"""


def run_verify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "prover_cli.main", "verify", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600)


def test_a_v_file_is_checked_proof_by_proof(tmp_path):
    path = tmp_path / "proofs.v"
    path.write_text(PROOFS)
    out = run_verify(str(path))
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert [ln.split()[0] + " " + ln.split()[1].rstrip(":") for ln in lines[:-1]] == [
        "ok a", "ok b", "FAIL c", "ok d", "FAIL e"]
    assert "Admitted" in lines[2] and "Abort" in lines[4]
    assert lines[-1] == "3/5 proofs verified"


def test_an_axiom_of_type_false_from_the_files_own_header_is_refused(tmp_path):
    """A file's header is its author's, but a proof through `proof_admitted : False` proves
    anything: it is never counted, whatever loaded the axiom."""
    path = tmp_path / "admit.v"
    path.write_text("Require Import Coq.Compat.AdmitAxiom.\nTheorem f : forall n : nat, n + 1 = n.\n"
                    "Proof. exfalso. exact proof_admitted. Qed.\n")
    out = run_verify(str(path))
    assert out.returncode == 1 and "axiom of type False" in out.stdout, out.stdout + out.stderr
    assert out.stdout.splitlines()[-1] == "0/1 proofs verified"


@pytest.mark.skipif(not MINIF2F_COQ.is_dir(), reason="miniF2F-rocq data not staged beside the repo")
def test_a_results_jsonl_is_checked_against_the_dataset_statements(tmp_path):
    results = tmp_path / "results.jsonl"
    records = [
        {"name": "mathd_numbertheory_239", "proved": True, "proof": ["auto."]},
        {"name": "mathd_algebra_296", "proved": False, "proof": []},  # skipped: not claimed
        # A published-style record whose whole file restates the theorem as something easy: the
        # dataset's statement is what gets checked, so it fails.
        {"name": "mathd_algebra_10", "full_code": "Theorem mathd_algebra_10 : True.\nProof. exact I. Qed.\n"},
        # A second row for a theorem already checked counts once, however many rows repeat it.
        {"name": "mathd_numbertheory_239", "proved": True, "proof": ["auto."]},
    ]
    results.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    out = run_verify(str(results), "--data", str(MINIF2F_COQ))
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("ok   mathd_numbertheory_239") and lines[1].startswith("FAIL mathd_algebra_10")
    assert lines[2].startswith("skip mathd_numbertheory_239")
    assert lines[-1] == "1/2 proofs verified (1 duplicate rows not counted)"


@pytest.mark.parametrize("content, message", [
    ("{not json", "not a JSON line"),
    ('{"proof": ["auto."]}', "name"),
    ('{"name": "a", "proof": ["auto.", {"x": 1}]}', "must be a string"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, content, message):
    path = tmp_path / "r.jsonl"
    path.write_text(content + "\n")
    out = run_verify(str(path))
    assert out.returncode == 2 and message in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(not MINIF2F_COQ.is_dir(), reason="miniF2F-rocq data not staged beside the repo")
def test_a_v_file_with_data_is_checked_against_the_dataset_not_its_own_header(tmp_path):
    # The file's header turns `=` into `<>`, so its "1 = 2" is provable; the dataset's is not.
    path = tmp_path / "forged.v"
    path.write_text('Require Import Arith.\nNotation "x = y" := (x <> y) : type_scope.\n'
                    "Theorem mathd_numbertheory_239 : 1 = 2.\nProof. discriminate. Qed.\n")
    assert run_verify(str(path)).returncode == 0  # on its own terms, the file is fine
    out = run_verify(str(path), "--data", str(MINIF2F_COQ))
    assert out.returncode == 1 and out.stdout.startswith("FAIL mathd_numbertheory_239")


MINIF2F_LEAN = REPO.parent / "shared" / "data" / "minif2f" / "lean4"


@pytest.mark.skipif(not MINIF2F_LEAN.is_dir(), reason="miniF2F-lean4 data not staged beside the repo")
def test_lean_records_need_lean_and_say_so_in_one_line(tmp_path, monkeypatch):
    # A DeepSeek-Prover-style record; no Lean on this machine (or a workspace without the REPL).
    monkeypatch.setenv("PROVER_LEAN_WORKSPACE", str(tmp_path / "no-workspace"))
    results = tmp_path / "deepseek.jsonl"
    code = "theorem mathd_algebra_10 : abs ((120 : ℝ) / 100 * 30 - 130 / 100 * 20) = 10 := by\n  norm_num\n"
    results.write_text(json.dumps({"name": "mathd_algebra_10", "full_code": code}) + "\n")
    out = subprocess.run([sys.executable, "-m", "prover_cli.main", "verify", str(results), "--dataset",
                          "minif2f-lean4", "--data", str(MINIF2F_LEAN)], cwd=REPO, capture_output=True,
                         text=True, timeout=300, env={**__import__("os").environ})
    assert out.returncode == 3, (out.stdout, out.stderr)
    assert len(out.stderr.strip().splitlines()) == 1 and "prover setup lean" in out.stderr


def test_lean_without_a_dataset_is_bad_input(tmp_path):
    path = tmp_path / "proofs.lean"
    path.write_text("theorem t : 1 = 1 := by rfl\n")
    out = run_verify(str(path))
    assert out.returncode == 2 and "--data" in out.stderr


@pytest.mark.skipif(not MINIF2F_LEAN.is_dir(), reason="miniF2F-lean4 data not staged beside the repo")
def test_lean_proofs_are_read_against_the_dataset_statement(tmp_path):
    from prover_cli.verify_cmd import _read_lean

    code = ("import Mathlib\n\ntheorem mathd_algebra_10 : (1 : ℕ) = 2 := by\n  norm_num\n  simp\n\n"
            "theorem other : True := by trivial\n")
    chat = f"Here is the proof:\n```lean4\n{code}```\n"
    results = tmp_path / "r.jsonl"
    results.write_text(json.dumps({"problem_id": "mathd_algebra_10", "code": chat}) + "\n"
                       + json.dumps({"name": "nope", "full_code": code}) + "\n")
    first, second = _read_lean(results, MINIF2F_LEAN, "minif2f-lean4")
    assert first.script == ("norm_num\nsimp",) and "abs" in first.statement  # the dataset's statement
    assert second.problem == "not in the dataset"


@pytest.mark.skipif(not MINIF2F_LEAN.is_dir(), reason="miniF2F-lean4 data not staged beside the repo")
def test_a_record_of_blank_lines_is_read_in_linear_time(tmp_path):
    """A published record is untrusted text: `^\\s*` tried from every line start spanned the
    blank lines after it, quadratic (17 s for 120,000 characters; red-team round 26)."""
    import time

    from prover_cli.verify_cmd import _read_lean

    results = tmp_path / "r.jsonl"
    results.write_text(json.dumps({"name": "mathd_algebra_10", "code": " \n" * 60_000}) + "\n")
    start = time.monotonic()
    (record,) = _read_lean(results, MINIF2F_LEAN, "minif2f-lean4")
    assert time.monotonic() - start < 2.0 and record.problem


def test_a_config_beside_the_results_cannot_load_a_library_that_changes_what_proofs_mean(tmp_path):
    """Whoever publishes results writes the config.json beside them: with Ltac2 loaded, tactic
    text could build terms unchecked, so such imports are refused, one line, exit 2."""
    (tmp_path / "config.json").write_text(json.dumps({"extra_imports": "From Ltac2 Require Import Ltac2."}))
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps({"name": "a", "proved": True, "proof": ["ltac1:(reflexivity)."]}) + "\n")
    out = run_verify(str(results))
    assert out.returncode == 2 and "only the standard library" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_the_extra_imports_used_are_said_with_their_source(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"extra_imports": "From Coq Require Import Lia."}))
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps({"name": "a", "proved": True, "proof": ["lia."]}) + "\n")
    out = run_verify(str(path))
    assert f"extra imports (proof module only, from {tmp_path / 'config.json'}): From Coq Require Import Lia." in out.stderr


def test_names_from_a_results_file_are_printed_without_control_characters(tmp_path):
    """A results file may come from anywhere: a name holding an escape sequence or a newline
    drove the terminal, or printed a line that read like a verdict (red-team round 26)."""
    path = tmp_path / "r.jsonl"
    name = "x\x1b[2J\nok   mathd_algebra_10 [0.1 s]"
    path.write_text(json.dumps({"name": name, "proof": ["auto."]}) + "\n" + json.dumps({"name": name, "proof": []}) + "\n")
    out = run_verify(str(path))
    assert out.returncode == 1 and "\x1b" not in out.stdout, out.stdout
    assert not any(line.startswith("ok") for line in out.stdout.splitlines()), out.stdout


def test_a_proof_with_unicode_verifies_under_an_ascii_locale(tmp_path):
    """Coq reads files as UTF-8 whatever the locale: the verifier writes its files so too (under
    an ASCII locale, a `∀` in a comment raised UnicodeEncodeError out of `prover verify`)."""
    import os

    path = tmp_path / "uni.v"
    path.write_text("Require Import Arith.\n(* ∀ n, n + 0 = n *)\nTheorem a : forall n, n + 0 = n.\n"
                    "Proof. intros n. rewrite Nat.add_0_r. reflexivity. Qed.\n", encoding="utf-8")
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    out = subprocess.run([sys.executable, "-X", "utf8=0", "-m", "prover_cli.main", "verify", str(path)], cwd=REPO,
                         capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[-1] == "1/1 proofs verified"
