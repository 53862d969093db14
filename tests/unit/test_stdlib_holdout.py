"""The held-out benchmark builder: which theorems become problems, and that no held-out step is indexed."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.stdlib_holdout import build, top_level_theorems

DEVELOPMENT = """(* a development *)
Require Import Arith.

Lemma first : forall n : nat, n + 0 = n.
Proof. intros. lia. Qed.

Section S.
Variable m : nat.
Lemma inside : m = m.
Proof. reflexivity. Qed.
End S.

Module M.
Theorem in_module : True.
Proof. exact I. Qed.
End M.
Module N := M.

(* Lemma commented : False. *)
Theorem second (n : nat) : (* why *) n = n.
Proof. reflexivity. Qed.

#[local] Local Lemma third : True.
Proof. exact I. Qed.
"""


def test_only_top_level_theorems_with_their_file_prefix_as_header():
    found = top_level_theorems(DEVELOPMENT)
    assert [name for name, _, _ in found] == ["first", "second", "third"]
    assert found[2][2] == "Lemma third : True.\n"  # a problem's own declaration, not the file's locality
    name, header, statement = found[1]
    assert statement.startswith("Theorem second (n : nat) :") and "(* why *)" not in statement
    assert "Lemma first" in header and "End M." in header and "Module N := M." in header
    assert "Theorem second" not in header


def _write_trace(folder: Path, files: dict[str, list[str]]) -> None:
    folder.mkdir(parents=True)
    with open(folder / "files.jsonl", "w") as out:
        for file, names in files.items():
            out.write(json.dumps({"file": file, "theorems": [{"name": n, "steps": 1, "status": "qed"} for n in names],
                                  "steps": len(names), "sentences": 9, "errors": 0, "seconds": 0.1, "problem": ""}) + "\n")
    with open(folder / "steps.jsonl", "w") as out:
        for file, names in files.items():
            for n in names:
                out.write(json.dumps({"file": file, "theorem": n, "tactic": "reflexivity."}) + "\n")


def test_held_out_files_give_the_problems_and_none_of_their_steps(tmp_path: Path):
    sources = tmp_path / "src"
    (sources / "A").mkdir(parents=True)
    files = {}
    for i in range(10):
        (sources / "A" / f"f{i}.v").write_text(f"Require Import Arith.\nLemma l{i} : {i} = {i}.\nProof. reflexivity. Qed.\n")
        files[f"A/f{i}.v"] = [f"l{i}"]
    files["Init/Core.v"] = ["core"]  # never held out: compiled without the prelude
    _write_trace(tmp_path / "trace", files)

    summary = build(tmp_path / "trace", sources, tmp_path / "out", fraction=0.3, theorems=100, seed=1)

    held = summary["held_out_files"]
    assert len(held) == 3 and "Init/Core.v" not in held
    problems = [json.loads(line) for line in (tmp_path / "out" / "data" / "minif2f_coq.jsonl").read_text().splitlines()]
    assert sorted(p["source"]["file"] for p in problems) == sorted(held)
    for p in problems:
        assert p["formal_statement"].startswith(f"Lemma {p['name']} :") and p["header"].startswith("Require Import Arith.")
    indexed = {json.loads(line)["file"] for line in (tmp_path / "out" / "trace" / "steps.jsonl").read_text().splitlines()}
    assert indexed == set(files) - set(held)


def test_held_out_theorems_leave_the_rest_of_their_files_indexed(tmp_path: Path):
    sources = tmp_path / "src"
    sources.mkdir()
    files = {}
    for i in range(4):
        (sources / f"f{i}.v").write_text(
            f"Lemma a{i} : {i} = {i}.\nProof. reflexivity. Qed.\nLemma b{i} : True.\nProof. exact I. Qed.\n")
        files[f"f{i}.v"] = [f"a{i}", f"b{i}"]
    _write_trace(tmp_path / "trace", files)

    build(tmp_path / "trace", sources, tmp_path / "out", fraction=0.25, theorems=100, seed=3, unit="theorem")

    problems = [json.loads(line) for line in (tmp_path / "out" / "data" / "minif2f_coq.jsonl").read_text().splitlines()]
    held = {(p["source"]["file"], p["name"]) for p in problems}
    assert len(held) == 2
    indexed = {(r["file"], r["theorem"]) for r in map(json.loads, (tmp_path / "out" / "trace" / "steps.jsonl").read_text().splitlines())}
    everything = {(f, n) for f, names in files.items() for n in names}
    assert indexed == everything - held
    for p in problems:  # the header holds the file's earlier proofs, never the theorem's own
        assert f"Lemma {p['name']} " not in p["header"]
