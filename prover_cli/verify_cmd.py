"""`prover verify`: re-check proofs from scratch with the independent verifier (audit a pass rate).

Inputs:
- a Coq `.v` file with proofs: every `Theorem`/`Lemma` ... `Proof.` ... `Qed.` in it (any of Coq's
  theorem keywords, with at most a `Local`/`Global` locality: `lean_env.coq.declarations`) is checked
  against its own statement, under the file's header (what precedes the first declaration), or
  with `--data` against the dataset's header and statement of the same name (a file's own header
  is trusted: it could redefine a notation so that its statement says something else); a proof
  closed with `Admitted.` or `Abort.` fails;
- a results JSONL, ours (`prover eval`'s results.jsonl) or a published one. Fields read: the
  theorem's name from `name` (or `problem_id`, `id`); the proof from `proof` (a list of tactic
  texts, or one text), or a whole file in `full_code`, `code` or `formal_proof`, from which the
  script of the declaration of that name is taken. With `--data` (and `--dataset`), the statement
  checked is the dataset's, never the one in the record; without it, whole-file records are checked
  against their own statement. Records with `proved: false` are skipped.

Lean (`--dataset minif2f-lean4`, or a `.lean` file, with `--data`): published whole-proof results
(DeepSeek-Prover, Goedel-Prover, Kimina: `name` plus `full_code`/`code`/`formal_proof`, or `proof`)
are checked against the dataset's statements by the Lean verifier; the proof is the tactic block
after `theorem NAME ... := by` in the record's text. A `.lean` file is read the same way, one
proof per dataset theorem it declares.

One line per proof (`ok` or `FAIL` and why), a summary, exit 1 if any proof fails, 2 for bad input,
3 when the proof assistant is missing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer

from lean_env.assistant import ProofToCheck
from lean_env.coq.files import proofs_in_coq_text

from prover_cli.app import EXIT_BAD_INPUT, EXIT_ENV, EXIT_NOT_PROVED, app, fail

_NAME_FIELDS = ("name", "problem_id", "id")
_WHOLE_FIELDS = ("full_code", "code", "formal_proof")


def _record_proofs(record: dict, dataset: dict | None) -> ProofToCheck:
    name = next((str(record[f]) for f in _NAME_FIELDS if f in record), "")
    if not name:
        raise ValueError(f"record without a name field ({', '.join(_NAME_FIELDS)})")
    theorem = dataset.get(name) if dataset is not None else None
    if dataset is not None and theorem is None:
        return ProofToCheck(name, "", "", (), "not in the dataset")
    proof = record.get("proof")
    if proof is not None:
        if isinstance(proof, list) and not all(isinstance(step, str) for step in proof):
            raise ValueError(f"{_shown(name)}: every step of a proof must be a string")
        script = tuple(proof) if isinstance(proof, list) else (str(proof),)
        if theorem is None:
            return ProofToCheck(name, "", "", script, "no statement: give the dataset with --data")
        return ProofToCheck(name, theorem.header, theorem.statement, script)
    whole = next((record[f] for f in _WHOLE_FIELDS if isinstance(record.get(f), str)), None)
    if whole is None:
        raise ValueError(f"{_shown(name)}: no proof field ({', '.join(('proof',) + _WHOLE_FIELDS)})")
    inside = [p for p in proofs_in_coq_text(whole) if p.name == name]
    if not inside:
        return ProofToCheck(name, "", "", (), f"no declaration named {_shown(name)} in the proof text")
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
    from lean_env.registry import make_env

    if not path.is_file():
        raise fail(f"{path}: no such file")
    if not (verify_timeout > 0 and verify_timeout != float("inf")):
        raise fail("--verify-timeout must be a positive number of seconds")
    lean = path.suffix == ".lean" or _backend_of(dataset) == "lean"
    backend = "lean" if lean else "coq"  # the two proof formats this command reads
    if lean and data is None:
        raise fail("Lean proofs are checked against a dataset's statements: give --data DIR (and --dataset)")
    if lean and path.suffix == ".lean" and _backend_of(dataset) != "lean":
        dataset = "minif2f-lean4"
    try:
        to_check = _read_lean(path, data, dataset) if lean else _read(path, data, dataset)
        imports = "" if lean else _extra_imports(path, extra_imports)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if not to_check:
        raise fail(f"{path}: no proofs found")
    if imports:  # they decide which proofs compile: say which were used, and where from
        source = "--extra-imports" if extra_imports is not None else str(path.parent / "config.json")
        typer.echo(f"extra imports (proof module only, from {source}): {imports}", err=True)
    try:
        env = make_env(backend, extra_imports=imports, verify_timeout=verify_timeout)
    except SetupError as exc:
        raise fail(str(exc), EXIT_ENV) from None
    failed, seen, duplicates = 0, set(), 0
    with env:
        for item in to_check:
            if item.name in seen:  # one theorem counts once, however many rows claim it
                duplicates += 1
                typer.echo(f"skip {_shown(item.name)}: a second row for it (the first was checked)")
                continue
            seen.add(item.name)
            if item.problem:
                failed += 1
                typer.echo(f"FAIL {_shown(item.name)}: {item.problem}")
                continue
            try:
                verdict = env.verify(
                    Theorem(item.name, item.header, item.statement, backend), item.script
                )
            except SetupError as exc:  # the Lean REPL starts on first use
                raise fail(str(exc), EXIT_ENV) from None
            if verdict.ok:
                axioms = f" (axioms: {', '.join(verdict.axioms)})" if verdict.axioms else ""
                typer.echo(f"ok   {_shown(item.name)} [{verdict.seconds:.1f} s]{axioms}")
            else:
                failed += 1
                typer.echo(f"FAIL {_shown(item.name)}: {verdict.message}")
    skipped = f" ({duplicates} duplicate rows not counted)" if duplicates else ""
    typer.echo(f"{len(seen) - failed}/{len(seen)} proofs verified{skipped}")
    if failed:
        raise typer.Exit(EXIT_NOT_PROVED)


def _shown(name: str) -> str:
    """A theorem's name as printed: a results file can come from anywhere, and a name holding an
    escape sequence or a newline would drive the terminal or print a line that reads like a verdict."""
    return name if name.isprintable() else ascii(name)


def _backend_of(dataset: str) -> str | None:
    from benchmarks.datasets import backend_of

    return backend_of(dataset)


_LEAN_NEXT_DECL = re.compile(r"(?m)^(?:theorem|lemma|def|example|end|namespace|section|#)\b")


def _read_lean(path: Path, data: Path, dataset: str) -> list[ProofToCheck]:
    """Lean proofs, each against the dataset's statement of the same name."""
    from benchmarks.datasets import load_dataset
    from prover.whole_proof import ExtractionError, extract_lean

    theorems = {p.name: p.theorem for p in load_dataset(dataset, data).problems}

    def proof_of(name: str, text: str) -> ProofToCheck:
        if name not in theorems:
            return ProofToCheck(name, "", "", (), "not in the dataset")
        theorem = theorems[name]
        decl = re.search(rf"(?m)^[ \t]*(?:theorem|lemma)\s+{re.escape(name)}(?![\w'.])", text)
        if decl is not None:  # the next declaration is not part of this proof
            cut = _LEAN_NEXT_DECL.search(text, decl.end())
            text = text[: cut.start()] if cut else text
        try:
            body = extract_lean(text, theorem, completion=True)
        except ExtractionError as exc:
            return ProofToCheck(name, theorem.header, theorem.statement, (), str(exc))
        return ProofToCheck(name, theorem.header, theorem.statement, (body,))

    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".lean":
        names = re.findall(r"(?m)^[ \t]*(?:theorem|lemma)\s+([\w'.]+)", text)
        return [proof_of(n, text) for n in names if n in theorems]
    out = []
    for number, record in _json_lines(path, text):
        if record.get("proved") is False:
            continue
        name = next((str(record[f]) for f in _NAME_FIELDS if f in record), "")
        if not name:
            raise ValueError(f"{path}:{number}: record without a name field ({', '.join(_NAME_FIELDS)})")
        proof = record.get("proof")
        if isinstance(proof, list) and name in theorems:
            t = theorems[name]
            out.append(ProofToCheck(name, t.header, t.statement, tuple(str(x) for x in proof)))
            continue
        whole = next((record[f] for f in _WHOLE_FIELDS if isinstance(record.get(f), str)), None)
        if whole is None and isinstance(proof, str):
            whole = proof
        if whole is None:
            raise ValueError(f"{path}:{number}: {_shown(name)}: no proof field ({', '.join(('proof',) + _WHOLE_FIELDS)})")
        # A chat answer holds the code in a ```lean4 block; a completion is the code itself.
        from prover.whole_proof import last_block

        out.append(proof_of(name, last_block(whole, ("lean4", "lean")) or whole))
    return out


def _extra_imports(path: Path, value: str | None) -> str:
    """The given extra imports ("none": none), else those of the run whose results these are."""
    from prover_cli.theorems import extra_imports_for

    if value is not None:
        return extra_imports_for("coq", value)
    config = path.parent / "config.json"
    if path.suffix != ".v" and config.is_file():
        try:
            recorded = json.loads(config.read_text(encoding="utf-8")).get("extra_imports") or ""
        except (OSError, json.JSONDecodeError, AttributeError):
            recorded = ""
        return extra_imports_for("coq", recorded or "none")
    return ""


def _json_lines(path: Path, text: str):
    for number, line in enumerate(text.split("\n"), 1):  # JSON Lines: U+2028 is no line end
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise ValueError(f"{path}:{number}: not a JSON line") from None
        if not isinstance(record, dict):
            raise ValueError(f"{path}:{number}: not a JSON object")
        yield number, record


def _read(path: Path, data: Path | None, dataset: str) -> list[ProofToCheck]:
    from lean_env.coq.sentences import SentenceError

    text = path.read_text(encoding="utf-8", errors="replace")
    theorems = None
    if data is not None:
        from benchmarks.datasets import load_dataset

        theorems = {p.name: p.theorem for p in load_dataset(dataset, data).problems}
    if path.suffix == ".v":
        try:
            found = proofs_in_coq_text(text)
        except SentenceError as exc:
            raise ValueError(f"{path}: {exc}") from None
        if theorems is None:
            return found
        # Against the dataset: its header and statement, never the file's (a file's header can
        # redefine notations so that its statement means something else).
        return [
            ProofToCheck(p.name, theorems[p.name].header, theorems[p.name].statement, p.script, p.problem)
            if p.name in theorems else ProofToCheck(p.name, "", "", (), "not in the dataset")
            for p in found
        ]
    out = []
    for number, record in _json_lines(path, text):
        if record.get("proved") is False:
            continue
        try:
            out.append(_record_proofs(record, theorems))
        except (ValueError, SentenceError) as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
    return out


__all__ = ["verify_command", "proofs_in_coq_text", "EXIT_BAD_INPUT"]
