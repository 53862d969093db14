"""LeanDojo Benchmark 4 loader: the JSON splits, and theorems cut from their files by position."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmarks.datasets import load_dataset
from benchmarks.leandojo import cut_statement, read_split

SOURCE = """import Mathlib.Algebra.Group.Basic

/-! # Toy file -/

namespace Nat

variable {m : ℕ}

/-- Adding zero. -/
@[simp]
theorem toy_add_zero (n : ℕ) : n + 0 = n := by
  simp

theorem toy_term (f : ℕ → ℕ) (h : f (n := 1) = 2) : |(1 : ℤ) - 2| = 1 :=
  by decide

def toy_def : ℕ := 1

theorem toy_eqns : ∀ n : ℕ, n = n
  | 0 => rfl
  | _ + 1 => rfl

end Nat
"""
URL, COMMIT = "https://github.com/leanprover-community/mathlib4", "29dcec074de168ac2bf835a77ef68bbe069194c5"
FILE = "Mathlib/Algebra/Toy.lean"


def entry(full_name: str, line: int, tactics: int = 1) -> dict:
    traced = [{"tactic": "simp", "annotated_tactic": ["simp", []], "state_before": "n : ℕ\n⊢ n + 0 = n",
               "state_after": "no goals"}] * tactics
    return {"url": URL, "commit": COMMIT, "file_path": FILE, "full_name": full_name, "start": [line, 1],
            "end": [line + 2, 7], "traced_tactics": traced}


@pytest.fixture
def bench_dir(tmp_path: Path) -> Path:
    lines = SOURCE.split("\n")
    at = {name: next(i + 1 for i, x in enumerate(lines) if x.startswith(start))
          for name, start in [("add", "/-- Adding"), ("term", "theorem toy_term"), ("def", "def toy_def"),
                              ("eqns", "theorem toy_eqns")]}
    for strategy in ("random", "novel_premises"):
        (tmp_path / strategy).mkdir()
        (tmp_path / strategy / "train.json").write_text(json.dumps([entry("Nat.toy_def", at["def"])]))
    (tmp_path / "random" / "val.json").write_text(json.dumps(
        [entry("Nat.toy_add_zero", at["add"], 2), entry("Nat.toy_def", at["def"]), entry("Nat.toy_eqns", at["eqns"])]))
    (tmp_path / "random" / "test.json").write_text(json.dumps([entry("Nat.toy_term", at["term"])]))
    (tmp_path / "novel_premises" / "test.json").write_text(json.dumps([entry("Nat.toy_add_zero", at["add"])]))
    (tmp_path / "repo" / "Mathlib" / "Algebra").mkdir(parents=True)
    (tmp_path / "repo" / FILE).write_text(SOURCE)
    return tmp_path


def test_theorems_are_cut_from_their_file_by_position(bench_dir: Path) -> None:
    ds = load_dataset("leandojo", bench_dir)
    assert ds.backend == "lean" and ds.commit == COMMIT
    by = {p.name: p for p in ds.problems}
    assert sorted(by) == ["Nat.toy_add_zero", "Nat.toy_term"]  # a def and equations cannot be opened
    add = by["Nat.toy_add_zero"]
    assert add.split == "valid" and add.category == "Algebra" and "2 traced tactics" in add.note
    assert add.theorem.statement == "theorem toy_add_zero (n : ℕ) : n + 0 = n := by\n"
    assert add.theorem.header.startswith("import Mathlib.Algebra.Group.Basic\n")
    assert "Adding zero" not in add.theorem.header + add.theorem.statement  # docstring, attributes dropped
    assert "variable {m : ℕ}" in add.theorem.header and "namespace Nat" in add.theorem.header
    term = by["Nat.toy_term"]
    assert term.split == "test"
    assert term.theorem.statement == "theorem toy_term (f : ℕ → ℕ) (h : f (n := 1) = 2) : |(1 : ℤ) - 2| = 1 :=\n  by\n"
    assert "theorem toy_add_zero" in term.theorem.header  # earlier lemmas stay available
    other = load_dataset("leandojo", bench_dir / "novel_premises")
    assert [p.name for p in other.problems] == ["Nat.toy_add_zero"] and other.problems[0].split == "test"


def test_traced_theorems_for_the_leandojo_backend_need_no_sources(bench_dir: Path) -> None:
    import shutil

    shutil.rmtree(bench_dir / "repo")
    with pytest.raises(ValueError, match="sources not found"):
        load_dataset("leandojo", bench_dir)
    ds = load_dataset("leandojo-traced", bench_dir)
    assert ds.backend == "leandojo" and len(ds.problems) == 4  # every theorem, defs included
    thm = ds.problems[0].theorem
    assert (thm.name, thm.header, thm.statement, thm.backend) == ("Nat.toy_add_zero", f"{URL}@{COMMIT}", FILE, "leandojo")


def test_schema_errors_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "val.json"
    bad.write_text(json.dumps([{"url": URL, "commit": COMMIT, "file_path": FILE, "full_name": "x", "start": [1, 1],
                                "traced_tactics": []}]))
    with pytest.raises(ValueError, match="'end'"):
        read_split(bad)
    with pytest.raises(ValueError, match="no LeanDojo Benchmark"):
        (tmp_path / "empty").mkdir()
        load_dataset("leandojo", tmp_path / "empty")  # a folder, but not the benchmark's
    with pytest.raises(ValueError, match="cannot be downloaded"):
        load_dataset("leandojo", None, download_to=tmp_path)
    assert cut_statement("theorem t : True := by\n  trivial", (9, 1)) is None


def test_a_cut_theorem_searches_and_verifies_under_its_full_name(bench_dir: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from lean_env.base import Proved
    from lean_env.lean_repl.config import LeanConfig
    from lean_env.lean_repl.env import LeanEnv

    monkeypatch.setenv("FAKE_REPL_STATE", str(tmp_path))
    monkeypatch.setenv("PROVER_SANDBOX_WRITABLE", str(tmp_path))
    toy = Path(__file__).resolve().parents[1] / "fakes" / "toy_repl.py"
    thm = next(p.theorem for p in load_dataset("leandojo", bench_dir).problems if p.name == "Nat.toy_add_zero")
    with LeanEnv(LeanConfig(repl_command=(sys.executable, str(toy)), warm_spare=False)) as env:
        root = env.open(thm)
        assert root.goals[0].conclusion == "n + 0 = n"
        done = env.run_tactic(root, "simp")
        assert done == Proved(("simp",))
        verdict = env.verify(thm, done.proof)
        assert verdict.ok, verdict.message
        assert "#print axioms Nat.toy_add_zero" in verdict.script


def test_eval_on_the_benchmark_infers_lean_and_reaches_the_proof_assistant(bench_dir: Path, tmp_path: Path) -> None:
    import os
    import subprocess

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "PATH": "/nonexistent"}
    proc = subprocess.run([sys.executable, "-m", "prover_cli.main", "eval", "--dataset", "leandojo", "--data",
                           str(bench_dir), "--workers", "0", "--no-progress", "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=60, check=False, env=env, cwd=root)
    # The dataset loaded, the backend is Lean's REPL, and a missing Lean stops it before any theorem.
    assert proc.returncode == 3 and "cannot start the Lean REPL" in proc.stderr, proc.stderr
