"""Trace a Coq development: replay each file through coqtop, one record per tactic step.

Every sentence of a file is sent, in order, to a fresh coqtop (sandboxed like every other Coq
process); the prompt after each sentence names the open proof, so proof mode, nested proofs and
the end of a proof (`Qed`, `Defined`, `Admitted`, `Abort`) are read from Coq itself, not guessed
from the text. A step is a sentence sent while a proof is open that the tactic screen accepts
(bullets and braces only refocus: they update the state but are not steps). Its record holds the
state before and after, as printed and as parsed, so a learner sees exactly what the search's
bridge will show it.

A file that does not compile is traced as far as Coq goes: an error inside a proof aborts that
proof (its steps so far are kept, its status is "error") and tracing carries on at the next
sentence after the proof; an error outside a proof is counted and skipped.
"""

from __future__ import annotations

import re
import shlex
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lean_env.base import EnvError, Goal
from lean_env.coq import output
from lean_env.coq.process import CoqTop
from lean_env.coq.sentences import SentenceError, split_sentences, split_tactic

_ENDS = re.compile(r"^(Qed|Defined|Admitted|Abort|Save)\b")
_REFOCUS = re.compile(r"^(?:[-+*]+|\{|\}|(?:\d+|\[[^\]]*\])\s*:\s*\{)$")


_LOGICAL_NAME = re.compile(r"[A-Za-z_][\w']*(?:\.[A-Za-z_][\w']*)*")


@dataclass(frozen=True, slots=True)
class LoadPath:
    """A development's library binding, as coqc takes it: `-R DIR NAME` (its modules load by their
    short names too, as the development's own files write them) or `-Q DIR NAME` (only qualified).

    Without it a file that says `Require Import Hierarchy.` fails at that line, and so does every
    proof after it. The development must be compiled (its `.vo` files beside the sources).
    """

    directory: str
    name: str
    flag: str = "-R"

    def __post_init__(self) -> None:
        if self.flag not in ("-R", "-Q"):
            raise ValueError(f"load path flag must be -R or -Q, not {self.flag!r}")
        if not _LOGICAL_NAME.fullmatch(self.name):
            raise ValueError(f"{self.name!r} is not a Coq library name (like Coquelicot or My.Lib)")
        if not Path(self.directory).is_dir():
            raise ValueError(f"{self.directory}: no such directory")

    def args(self) -> tuple[str, str, str]:
        return (self.flag, self.directory, self.name)

    @classmethod
    def parse(cls, text: str) -> LoadPath:
        """`DIR=NAME` (the `-R` binding), as `prover trace --load-path` takes it."""
        directory, sep, name = text.rpartition("=")
        if not sep or not directory:
            raise ValueError(f"--load-path {text!r}: expected DIR=NAME, e.g. theories=MyLib")
        return cls(str(Path(directory).resolve()), name)


def coq_project_load_paths(folder: Path) -> list[LoadPath]:
    """The `-R`/`-Q` bindings of `folder/_CoqProject` (directories relative to `folder`), or none
    without one. Other options (`-arg`, `-I`, file names) are not needed to replay sources."""
    project = folder / "_CoqProject"
    if not project.is_file():
        return []
    try:
        words = shlex.split(project.read_text(encoding="utf-8", errors="replace"), comments=True)
    except ValueError as exc:
        raise ValueError(f"{project}: {exc}") from None
    found = []
    for i, word in enumerate(words):
        if word in ("-R", "-Q"):
            if i + 2 >= len(words):
                raise ValueError(f"{project}: {word} needs a directory and a name")
            found.append(LoadPath(str((folder / words[i + 1]).resolve()), words[i + 2], word))
    return found


@dataclass(frozen=True, slots=True)
class TraceOptions:
    coqtop: str = "coqtop"
    sentence_timeout: float = 30.0  # seconds per sentence; a slower one counts as an error
    file_timeout: float = 600.0  # seconds per file; the rest of the file is skipped
    memory_limit_mb: int | None = 4096
    load_paths: tuple[LoadPath, ...] = ()  # the development's own library bindings


@dataclass
class TheoremTrace:
    name: str
    steps: int = 0
    status: str = "open"  # qed, defined, admitted, aborted, error, open (file ended)


@dataclass
class FileTrace:
    """The outcome of one file: its step records and a summary line."""

    file: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    theorems: list[TheoremTrace] = field(default_factory=list)
    sentences: int = 0
    errors: int = 0  # sentences Coq refused (outside or inside proofs)
    seconds: float = 0.0
    problem: str = ""  # why tracing stopped early ("" when the whole file was read)

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "theorems": [asdict(t) for t in self.theorems],
            "steps": len(self.steps),
            "sentences": self.sentences,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "problem": self.problem,
        }


def state_record(parsed: output.Parsed | None) -> dict[str, Any]:
    """A proof state as the bridge shows it: printed text plus parsed goals (first goal with its
    hypotheses; Coq prints only the conclusions of the others)."""
    if parsed is None or parsed.status == "proved":
        return {"pretty": output.NO_MORE_GOALS if parsed else "", "goals": [], "count": 0}
    goals: tuple[Goal, ...] = tuple(parsed.goals)
    return {
        "pretty": parsed.display,
        "goals": [
            {
                "hypotheses": [{"names": list(h.names), "type": h.type, "value": h.value} for h in g.hypotheses],
                "conclusion": g.conclusion,
            }
            for g in goals
        ],
        "count": parsed.count,
    }


def trace_file(path: Path, relative: str, options: TraceOptions = TraceOptions()) -> FileTrace:
    """Replay `path` sentence by sentence; never raises for a bad file (see `FileTrace.problem`)."""
    start = time.monotonic()
    result = FileTrace(relative)
    try:
        sentences = split_sentences(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SentenceError) as exc:
        result.problem = f"cannot read the file: {exc}"
        return result
    scratch = tempfile.mkdtemp(prefix="prover-trace-")
    top: CoqTop | None = None
    try:
        args = tuple(word for path in options.load_paths for word in path.args())
        top = CoqTop(options.coqtop, scratch, options.memory_limit_mb, args=args)
        top.send("Set Printing Width 1000.", options.sentence_timeout)
        _replay(top, sentences, result, options, start)
    except EnvError as exc:  # the process died or stopped answering: keep what was traced
        result.problem = f"coqtop failed: {exc}"
    finally:
        if top is not None:
            top.kill()
        shutil.rmtree(scratch, ignore_errors=True)
        result.seconds = time.monotonic() - start
    return result


def _replay(top: CoqTop, sentences: list[str], result: FileTrace, options: TraceOptions, start: float) -> None:
    displays: dict[str, output.Parsed | None] = {}  # open proof name -> its current state
    open_theorems: dict[str, TheoremTrace] = {}
    skipping = False  # after an error inside a proof: until that proof's end sentence
    current = "Coq"
    for index, sentence in enumerate(sentences):
        if time.monotonic() - start > options.file_timeout:
            result.problem = f"file timeout after {options.file_timeout:.0f} s"
            return
        if skipping:
            if _ENDS.match(sentence):
                skipping = False
            continue
        result.sentences += 1
        # Unfenced: the text is a development to learn from, not model output, and is split by the
        # same Coq-faithful lexer; a text Coq read as two sentences still shows up (an unexpected
        # prompt makes the next send raise OutOfStep) and ends the file's trace.
        reply = top.send(sentence, options.sentence_timeout)
        parsed = output.parse_output(reply.output)
        before_name, after_name = current, reply.proof_name
        if parsed.error is not None or reply.interrupted:
            result.errors += 1
            if before_name != "Coq":  # a broken proof: give it up and resume after its end
                if before_name in open_theorems:
                    open_theorems.pop(before_name).status = "error"
                displays.pop(before_name, None)
                current = top.send("Abort.", options.sentence_timeout).proof_name
                skipping = not _ENDS.match(sentence)
            continue
        current = after_name
        if before_name == after_name == "Coq":
            continue
        if after_name != before_name and after_name != "Coq" and after_name not in displays:
            theorem = TheoremTrace(after_name)  # a proof opened (possibly nested in another)
            result.theorems.append(theorem)
            open_theorems[after_name] = theorem
            displays[after_name] = parsed if parsed.status == "goals" and parsed.count else None
            continue
        if after_name != before_name:  # the proof named before_name ended with this sentence
            theorem = open_theorems.pop(before_name, None)
            displays.pop(before_name, None)
            if theorem is not None:
                end = _ENDS.match(sentence)
                theorem.status = {"Qed": "qed", "Save": "qed", "Defined": "defined", "Admitted": "admitted",
                                  "Abort": "aborted"}.get(end.group(1) if end else "", "ended")
            continue
        before = displays.get(before_name)
        if parsed.status in ("goals", "proved") and (parsed.count or parsed.status == "proved" or parsed.notes):
            after: output.Parsed | None = parsed
        else:
            after = before  # a command that printed nothing changed nothing we can see
        if parsed.status == "goals" and (not parsed.count or any("unfocused" in n for n in parsed.notes)):
            # "This subproof is complete, but there are some unfocused goals": none in focus.
            after = output.Parsed(None, (), 0, " ".join(parsed.notes), parsed.notes, "goals")
        displays[before_name] = after
        if _REFOCUS.match(sentence) or split_tactic(sentence)[1] is not None:
            continue  # bullets/braces refocus; vernacular inside a proof is not a step
        theorem = open_theorems.get(before_name)
        if theorem is None:
            continue
        count_before = before.count if before is not None else 0
        count_after = after.count if after is not None and after.status == "goals" else 0
        result.steps.append({
            "file": result.file,
            "theorem": before_name,
            "step": theorem.steps,
            "sentence": index,
            "tactic": sentence,
            "state_before": state_record(before),
            "state_after": state_record(after),
            "closed_goal": count_after < count_before,
            "proof_done": after is not None and after.status == "proved",
        })
        theorem.steps += 1


STEPS, FILES = "steps.jsonl", "files.jsonl"


def collect_files(inputs: list[Path]) -> list[tuple[Path, str]]:
    """(path, name recorded) for every .v file of the inputs: directories are searched
    recursively (names relative to the directory, prefixed by its own name), files kept as given,
    and a text file of paths (one per line, `#` comments) expanded. Raises ValueError for a
    missing input."""
    found: list[tuple[Path, str]] = []
    for item in inputs:
        if item.is_dir():
            found += [(p, f"{item.name}/{p.relative_to(item)}") for p in sorted(item.rglob("*.v"))]
        elif item.is_file() and item.suffix == ".v":
            found.append((item, item.name))
        elif item.is_file():
            lines = [ln.strip() for ln in item.read_text(encoding="utf-8").splitlines()]
            found += collect_files([Path(ln) for ln in lines if ln and not ln.startswith("#")])
        else:
            raise ValueError(f"{item}: no such file or directory")
    return list(dict.fromkeys(found))


def _trace_one(job: tuple[Path, str, TraceOptions]) -> FileTrace:
    return trace_file(*job)


def trace_development(
    files: list[tuple[Path, str]], out: Path, workers: int = 1, options: TraceOptions = TraceOptions(),
    progress: bool = True,
) -> dict[str, Any]:
    """Trace `files` into `out` (steps.jsonl + files.jsonl), skipping files already traced there.

    Resumable: each finished file's steps are appended and flushed, then its line in files.jsonl
    records where steps.jsonl ended; a run killed in between is cut back to that point on resume.
    Files are traced in a process pool (each worker drives its own coqtop).
    """
    import json
    import os
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    out.mkdir(parents=True, exist_ok=True)
    steps_path, files_path = out / STEPS, out / FILES
    done: dict[str, dict[str, Any]] = {}
    end = 0
    if files_path.exists():
        for line in files_path.read_text(encoding="utf-8").split("\n"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                break  # a torn last line: that file is traced again
            done[record["file"]] = record
            end = record["steps_end"]
    with open(steps_path, "ab") as handle:
        handle.truncate(end)
    todo = [(p, name, options) for p, name in files if name not in done]
    bar = tqdm(total=len(files), initial=len(files) - len(todo), unit="file", disable=not progress)
    with open(steps_path, "a", encoding="utf-8") as steps, open(files_path, "a", encoding="utf-8") as manifest:
        pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
        results = pool.map(_trace_one, todo) if pool else map(_trace_one, todo)
        try:
            for result in results:
                for record in result.steps:
                    steps.write(json.dumps(record, ensure_ascii=False) + "\n")
                steps.flush()
                os.fsync(steps.fileno())
                summary = {**result.summary(), "steps_end": steps.tell()}
                manifest.write(json.dumps(summary, ensure_ascii=False) + "\n")
                manifest.flush()
                done[result.file] = summary
                bar.update(1)
                bar.set_postfix(steps=sum(d["steps"] for d in done.values()))
        finally:
            bar.close()
            if pool:
                pool.shutdown(cancel_futures=True)
    return {
        "files": len(done),
        "theorems": sum(len(d["theorems"]) for d in done.values()),
        "theorems_with_steps": sum(1 for d in done.values() for t in d["theorems"] if t["steps"]),
        "steps": sum(d["steps"] for d in done.values()),
        "errors": sum(d["errors"] for d in done.values()),
        "seconds": round(sum(d["seconds"] for d in done.values()), 1),
    }
