"""`prover verify`: re-check proofs from scratch with the independent verifier (audit a pass rate).

Inputs:
- a Coq `.v` file with proofs: every `Theorem`/`Lemma` ... `Proof.` ... `Qed.` in it is checked
  against its own statement, under the file's header (what precedes the first declaration); a
  proof closed with `Admitted.` or `Abort.` fails;
- a results JSONL, ours (`prover eval`'s results.jsonl) or a published one. Fields read: the
  theorem's name from `name` (or `problem_id`, `id`); the proof from `proof` (a list of tactic
  texts, or one text), or a whole file in `full_code`, `code` or `formal_proof`, from which the
  script of the declaration of that name is taken. With `--data` (and `--dataset`), the statement
  checked is the dataset's, never the one in the record; without it, whole-file records are checked
  against their own statement. Records with `proved: false` are skipped.

One line per proof (`ok` or `FAIL` and why), a summary, exit 1 if any proof fails, 2 for bad input,
3 when the proof assistant is missing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import typer

from prover_cli.app import EXIT_BAD_INPUT, EXIT_ENV, EXIT_NOT_PROVED, app, fail

_DECL = re.compile(r"(?:Theorem|Lemma|Example|Fact|Remark|Corollary|Proposition)\s+([A-Za-z_][\w']*)")
_END = re.compile(r"(Qed|Defined|Admitted|Abort)\b")
_NAME_FIELDS = ("name", "problem_id", "id")
_WHOLE_FIELDS = ("full_code", "code", "formal_proof")


@dataclass(frozen=True, slots=True)
class ProofToCheck:
    name: str
    header: str
    statement: str
    script: tuple[str, ...]  # tactic texts, screened by the verifier like any model output
    problem: str = ""  # why it cannot be checked (e.g. closed with Admitted), "" when it can


def proofs_in_coq_text(text: str) -> list[ProofToCheck]:
    """Each declaration of a `.v` text with the sentences of its proof."""
    from lean_env.coq.sentences import sentence_spans

    spans = sentence_spans(text)
    sentences = [text[a:b] for a, b in spans]
    first = next((i for i, s in enumerate(sentences) if _DECL.match(s)), None)
    if first is None:
        return []
    header = text[: spans[first][0]]
    found: list[ProofToCheck] = []
    i = first
    while i < len(sentences):
        m = _DECL.match(sentences[i])
        if not m:
            i += 1
            continue
        statement, script, j, closing = sentences[i], [], i + 1, ""
        while j < len(sentences):
            s = sentences[j].strip()
            end = _END.match(s)
            if end and s.rstrip(".").strip() == end.group(1):
                closing = end.group(1)
                break
            if _DECL.match(s):
                break
            if not (s == "Proof." or s.startswith("Proof using")):
                script.append(sentences[j])
            j += 1
        problem = "" if closing in ("Qed", "Defined") else f"proof closed with {closing or 'nothing'}"
        found.append(ProofToCheck(m.group(1), header, statement, tuple(script), problem))
        i = j + 1
    return found


def _record_proofs(record: dict, dataset: dict | None) -> ProofToCheck:
    name = next((str(record[f]) for f in _NAME_FIELDS if f in record), "")
    if not name:
        raise ValueError(f"record without a name field ({', '.join(_NAME_FIELDS)})")
    theorem = dataset.get(name) if dataset is not None else None
    if dataset is not None and theorem is None:
        return ProofToCheck(name, "", "", (), "not in the dataset")
    proof = record.get("proof")
    if proof is not None:
        script = tuple(proof) if isinstance(proof, list) else (str(proof),)
        if theorem is None:
            return ProofToCheck(name, "", "", script, "no statement: give the dataset with --data")
        return ProofToCheck(name, theorem.header, theorem.statement, script)
    whole = next((record[f] for f in _WHOLE_FIELDS if isinstance(record.get(f), str)), None)
    if whole is None:
        raise ValueError(f"{name}: no proof field ({', '.join(('proof',) + _WHOLE_FIELDS)})")
    inside = [p for p in proofs_in_coq_text(whole) if p.name == name]
    if not inside:
        return ProofToCheck(name, "", "", (), f"no declaration named {name} in the proof text")
    found = inside[-1]
    if theorem is not None:  # the dataset's statement, never the record's
        return ProofToCheck(name, theorem.header, theorem.statement, found.script, found.problem)
    return found


@app.command("verify")
def verify_command(
    path: Path = typer.Argument(..., help="A .v file with proofs, or a results JSONL."),
    data: Path = typer.Option(None, "--data", help="Dataset folder: check JSONL proofs against its statements."),
    dataset: str = typer.Option("minif2f-coq", "--dataset", help="Dataset name for --data."),
    verify_timeout: float = typer.Option(120.0, "--verify-timeout", help="Seconds per proof for each checker."),
    extra_imports: str = typer.Option(
        None, "--extra-imports", help="Library loads after the header in the proof module only (default: the run's, read from config.json next to a results JSONL; else none)."
    ),
) -> None:
    """Re-check proofs from scratch with the independent verifier; exit 1 if any fails."""
    from lean_env.base import SetupError, Theorem

    if not path.is_file():
        raise fail(f"{path}: no such file")
    if not (verify_timeout > 0 and verify_timeout != float("inf")):
        raise fail("--verify-timeout must be a positive number of seconds")
    try:
        to_check = _read(path, data, dataset)
        imports = _extra_imports(path, extra_imports)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if not to_check:
        raise fail(f"{path}: no proofs found")
    try:
        from lean_env.coq.env import CoqConfig, CoqEnv

        env = CoqEnv(CoqConfig(verify_timeout=verify_timeout, extra_imports=imports))
    except SetupError as exc:
        raise fail(str(exc), EXIT_ENV) from None
    failed = 0
    with env:
        for item in to_check:
            if item.problem:
                failed += 1
                typer.echo(f"FAIL {item.name}: {item.problem}")
                continue
            verdict = env.verify(Theorem(item.name, item.header, item.statement), item.script)
            if verdict.ok:
                axioms = f" (axioms: {', '.join(verdict.axioms)})" if verdict.axioms else ""
                typer.echo(f"ok   {item.name} [{verdict.seconds:.1f} s]{axioms}")
            else:
                failed += 1
                typer.echo(f"FAIL {item.name}: {verdict.message}")
    typer.echo(f"{len(to_check) - failed}/{len(to_check)} proofs verified")
    if failed:
        raise typer.Exit(EXIT_NOT_PROVED)


def _extra_imports(path: Path, value: str | None) -> str:
    """The given extra imports ("none": none), else those of the run whose results these are."""
    from prover_cli.theorems import extra_imports_for

    if value is not None:
        return extra_imports_for("coq", value)
    config = path.parent / "config.json"
    if path.suffix != ".v" and config.is_file():
        try:
            recorded = json.loads(config.read_text()).get("extra_imports") or ""
        except (OSError, json.JSONDecodeError, AttributeError):
            recorded = ""
        return extra_imports_for("coq", recorded or "none")
    return ""


def _read(path: Path, data: Path | None, dataset: str) -> list[ProofToCheck]:
    from lean_env.coq.sentences import SentenceError

    text = path.read_text(errors="replace")
    if path.suffix == ".v":
        try:
            return proofs_in_coq_text(text)
        except SentenceError as exc:
            raise ValueError(f"{path}: {exc}") from None
    theorems = None
    if data is not None:
        from benchmarks.datasets import load_dataset

        theorems = {p.name: p.theorem for p in load_dataset(dataset, data).problems}
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise ValueError(f"{path}:{number}: not a JSON line") from None
        if not isinstance(record, dict):
            raise ValueError(f"{path}:{number}: not a JSON object")
        if record.get("proved") is False:
            continue
        try:
            out.append(_record_proofs(record, theorems))
        except (ValueError, SentenceError) as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
    return out


__all__ = ["verify_command", "proofs_in_coq_text", "EXIT_BAD_INPUT"]
