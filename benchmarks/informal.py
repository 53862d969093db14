"""miniF2F's informal side: informal statements and proofs, and human sketch folders.

The Coq table carries no informal text, so it is read from facebookresearch/miniF2F's informal JSON
files (`<informal root>/<split>/<name>.json`, staged as ../shared/data/minif2f/informal); Isabelle's
table already carries it. These readers live in benchmarks/ (not the CLI) because the evaluation
harness needs them inside its workers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from lean_env.base import BadTheorem, ProofEnv, Theorem
from prover.sketch_prompts import InformalProblem



def sketch_suffix(backend: str) -> str:
    """The suffix of a human sketch file for `backend`: its theorem files' (".txt" when it has none)."""
    from lean_env.registry import assistant

    suffixes = assistant(backend).suffixes
    return suffixes[0] if suffixes else ".txt"


def read_informal(path: Path) -> tuple[str, str | None]:
    """(informal statement, informal proof or None) from a miniF2F informal JSON file
    ({"informal_statement": ..., "informal_proof": ...}). Raises BadTheorem on unusable input."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadTheorem(f"{path}: cannot read informal problem: {exc}") from None
    statement = data.get("informal_statement") if isinstance(data, dict) else None
    if not statement:
        raise BadTheorem(f"{path}: no informal_statement")
    return statement, data.get("informal_proof") or None


def informal_problems(data_dir: Path, backend: str, split: str, names: Sequence[str] = ()) -> list[InformalProblem]:
    """miniF2F problems with informal text and this backend's formal statement, by name.

    Coq: minif2f/coq/minif2f_coq.jsonl joined with minif2f/informal/<split>/<name>.json (by name);
    Isabelle: minif2f/informal/minif2f_informal_isabelle.jsonl (already merged). Lean: the Lean
    engineer's dataset has the statements; not joined here yet.
    """
    root = Path(data_dir) / "minif2f"
    wanted = set(names)
    out: list[InformalProblem] = []
    if backend == "coq":
        for line in (root / "coq" / "minif2f_coq.jsonl").read_text().splitlines():
            row = json.loads(line)
            if row["split"] != split or (wanted and row["name"] not in wanted):
                continue
            informal = root / "informal" / split / f"{row['name']}.json"
            if not informal.exists():
                continue
            statement, proof = read_informal(informal)
            theorem = Theorem(row["name"], row["header"], row["formal_statement"], "coq")
            out.append(InformalProblem(row["name"], statement, proof, theorem))
    elif backend == "isabelle":
        for line in (root / "informal" / "minif2f_informal_isabelle.jsonl").read_text().splitlines():
            row = json.loads(line)
            if row["split"] != split or (wanted and row["name"] not in wanted):
                continue
            header = " ".join(row.get("isabelle_imports") or ["Complex_Main"])
            theorem = Theorem(row["name"], header, row["isabelle_statement"].strip(), "isabelle")
            out.append(InformalProblem(row["name"], row["informal_statement"], row.get("informal_proof"), theorem))
    else:
        raise ValueError(f"informal miniF2F problems are not available for backend {backend!r} yet")
    return out


def to_informal(problem, informal_root: Path | str | None = None) -> InformalProblem:
    """An `InformalProblem` from a dataset problem (benchmarks.datasets.Problem or anything with
    `theorem`, `split`, `informal_statement`, `informal_proof`). When the dataset carries no informal
    text (the Coq table), it is read from `<informal_root>/<split>/<name>.json` if that exists.
    Raises BadTheorem when there is none."""
    statement, proof = problem.informal_statement or "", problem.informal_proof or None
    name = problem.theorem.name
    if not statement and informal_root is not None:
        path = Path(informal_root) / problem.split / f"{name}.json"
        if path.exists():
            statement, proof = read_informal(path)
    if not statement:
        raise BadTheorem(f"{name}: no informal statement")
    return InformalProblem(name, statement, proof, problem.theorem)


def default_informal_root(dataset_dir: Path | None) -> Path | None:
    """The staged informal folder next to a staged dataset (minif2f/coq -> minif2f/informal), if any."""
    if dataset_dir is None:
        return None
    candidate = Path(dataset_dir).resolve().parent / "informal"
    return candidate if candidate.is_dir() else None


def read_sketches(folder: Path | str, name: str, backend: str) -> list[str]:
    """The human sketches for problem `name` in `folder`: `<name>.v` first, then `<name>.1.v`,
    `<name>.2.v`, ... by number (`.v` being the backend's suffix). [] when there is none."""
    suffix = sketch_suffix(backend)
    numbered = re.compile(re.escape(name) + r"\.(\d+)" + re.escape(suffix))
    found: list[tuple[int, Path]] = []
    for path in Path(folder).iterdir():
        if path.name == name + suffix:
            found.append((-1, path))
        elif m := numbered.fullmatch(path.name):
            found.append((int(m.group(1)), path))
    return [path.read_text(encoding="utf-8") for _, path in sorted(found)]


def evaluate_informal(problems: Sequence[InformalProblem], env: ProofEnv, completer, out: Path, **options) -> dict:
    """Run `search.informal.run_informal` on every problem with one env, one JSONL line each (the
    `summary` record), and return totals. A lightweight loop for scripts and tests; `prover eval
    --mode informal` is the resumable, parallel harness. `options` go to `run_informal`."""
    from search.informal import run_informal, summary

    proved = errors = 0
    with open(out, "a", encoding="utf-8") as sink:
        for problem in problems:
            try:
                record = summary(run_informal(problem, env, completer, **options))
            except BadTheorem as exc:
                record = {"name": problem.name, "backend": problem.theorem.backend, "mode": "informal",
                          "proved": False, "error": str(exc)}
                errors += 1
            proved += bool(record["proved"])
            sink.write(json.dumps(record) + "\n")
            sink.flush()
    total = len(problems)
    return {"mode": "informal", "total": total, "proved": proved, "errors": errors,
            "rate": proved / total if total else 0.0}
