"""The `prover` command as a user runs it: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "prover_cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_help_is_fast_and_imports_no_model_stack():
    code = (
        "import sys, time; t=time.time(); sys.argv=['prover','--help'];\n"
        "from prover_cli.main import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules and 'ray' not in sys.modules, 'heavy import'\n"
        "print(time.time()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.strip().splitlines()[-1]) < 1.0


@pytest.mark.coq
def test_prove_example_prints_the_verified_proof():
    out = run("prove", "examples/sum_square.v")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Proved sum_square_ge") and "Qed." in out.stdout


@pytest.mark.coq
def test_prove_json_and_tree(tmp_path):
    tree = tmp_path / "tree.graphml"
    out = run("prove", "--statement", "forall n : nat, n * 1 = n", "--json", "--tree", str(tree))
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["proved"] and payload["name"] == "user_theorem" and payload["proof"]
    assert "Theorem user_theorem : forall n : nat, n * 1 = n." in payload["script"]
    assert tree.exists() and "graphml" in tree.read_text()[:200]


@pytest.mark.coq
def test_unprovable_exits_1():
    out = run("prove", "examples/unprovable.v", "--max-expansions", "5", "--json")
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout)["proved"] is False


@pytest.mark.coq
def test_tactics_file(tmp_path):
    tactics = tmp_path / "tactics.txt"
    tactics.write_text("# induction only\nintros n.\ninduction n.\nsimpl.\nreflexivity.\nrewrite IHn.\nAdmitted.\n")
    out = run("prove", "-s", "forall n : nat, n + 0 = n", "--tactics", str(tactics))
    assert out.returncode == 0, out.stderr
    assert "induction n." in out.stdout and "lia" not in out.stdout
    assert "Admitted" in out.stderr  # the rejected line is reported, not sent


@pytest.mark.parametrize(
    "args, message",
    [
        (["prove", "missing.v"], "missing.v: no such file"),
        (["prove"], "give either a FILE or --statement"),
        (["prove", "--statement", "True", "--backend", "coqq"], "unknown backend 'coqq'"),
        (["prove", "--statement", "True", "--policy", "greedy"], "--policy must be one of breadth_first, cumulative"),
    ],
)
def test_bad_input_without_coq(args, message):
    out = run(*args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.coq
@pytest.mark.parametrize(
    "content, message",
    [
        ("Require Import Arith.\nDefinition x := 1.\n", "no Theorem or Lemma found"),
        ("Require Import Arith.\nTheorem t : forall n : nat, n + true = n.\nProof.\nAdmitted.\n", "statement does not elaborate"),
        ("Require Import Nonexistent.\nTheorem t : True.\n", "header"),
        ("Theorem a : True.\nTheorem b : True.\n", "choose one with --name"),
    ],
)
def test_bad_files_exit_2_with_one_line(tmp_path, content, message):
    f = tmp_path / "t.v"
    f.write_text(content)
    out = run("prove", str(f))
    assert out.returncode == 2, out.stdout
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_empty_tactics_file_is_bad_input(tmp_path):
    tactics = tmp_path / "t.txt"
    tactics.write_text("Qed.\nAxiom a : False.\n")
    out = run("prove", "-s", "True", "--tactics", str(tactics))
    assert out.returncode == 2 and "no usable tactic" in out.stderr


@pytest.mark.coq
def test_model_generator_from_the_cli_portfolio_first_then_model():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    base = ["prove", "-s", "forall n : nat, n + 0 = n", "--model", "tiny", "--engine", "tiny", "--num-samples", "8", "--json"]
    with_portfolio = run(*base)
    assert with_portfolio.returncode == 0, with_portfolio.stderr
    # A random model alone proposes nothing that survives the screen and Coq: not proved, exit 1.
    model_only = run(*base, "--no-portfolio", "--max-expansions", "2", "--temperature", "1.0")
    assert model_only.returncode == 1, model_only.stderr
    assert json.loads(model_only.stdout)["stats"]["expansions"] >= 1


def test_isabelle_theory_without_isabelle_is_one_line_exit_3(shared_data):
    import shutil

    if shutil.which("isabelle"):
        pytest.skip("Isabelle is installed")
    thy = shared_data / "minif2f" / "isabelle" / "valid" / "mathd_algebra_10.thy"
    out = run("prove", str(thy), "--backend", "isabelle")
    assert out.returncode == 3 and "isabelle not found" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
