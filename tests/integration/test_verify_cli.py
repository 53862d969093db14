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


@pytest.mark.skipif(not MINIF2F_COQ.is_dir(), reason="miniF2F-rocq data not staged beside the repo")
def test_a_results_jsonl_is_checked_against_the_dataset_statements(tmp_path):
    results = tmp_path / "results.jsonl"
    records = [
        {"name": "mathd_numbertheory_239", "proved": True, "proof": ["auto."]},
        {"name": "mathd_algebra_296", "proved": False, "proof": []},  # skipped: not claimed
        # A published-style record whose whole file restates the theorem as something easy: the
        # dataset's statement is what gets checked, so it fails.
        {"name": "mathd_numbertheory_239", "full_code": "Theorem mathd_numbertheory_239 : True.\nProof. exact I. Qed.\n"},
    ]
    results.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    out = run_verify(str(results), "--data", str(MINIF2F_COQ))
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("ok   mathd_numbertheory_239") and lines[1].startswith("FAIL mathd_numbertheory_239")
    assert lines[-1] == "1/2 proofs verified"


@pytest.mark.parametrize("content, message", [("{not json", "not a JSON line"), ('{"proof": ["auto."]}', "name")])
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
