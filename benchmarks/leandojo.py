"""LeanDojo Benchmark 4: theorems of a traced Lean repository, with their traced tactics.

Layout (as LeanDojo's generator writes it): `<root>/{random,novel_premises}/{train,val,test}.json`,
each a JSON list of theorems `{"url", "commit", "file_path", "full_name", "start": [line, col],
"end": [line, col], "traced_tactics": [{"tactic", "annotated_tactic", "state_before",
"state_after"}]}`, positions 1-based. `--data` names the root (the `random` split is used) or one
strategy folder (`<root>/novel_premises`); `val` is our `valid` split, `test` is `test`.

For the REPL backend a theorem is opened from its file and full name: the header is the file up
to the theorem (imports, namespaces, variables, earlier lemmas) and the statement is the
declaration up to its `:=` (`:= by` kept). That needs the repository's sources at the benchmark's
commit: `<root>/repo`, or $PROVER_LEANDOJO_SOURCES. For `--backend leandojo` only the names are
needed: the theorems are opened by LeanDojo in its traced copy.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from benchmarks.datasets import Dataset, Problem
from lean_env.base import Theorem

SPLIT_FILES = {"valid": "val.json", "test": "test.json"}
STRATEGIES = ("random", "novel_premises")
SOURCES_VARIABLE = "PROVER_LEANDOJO_SOURCES"
_KEYWORD = re.compile(r"(?:(?:private|protected|nonrec)\s+)*(?:theorem|lemma)\s")
_OPEN, _CLOSE = "([{⟨⦃", ")]}⟩⦄"


@dataclass(frozen=True, slots=True)
class TracedTactic:
    tactic: str
    state_before: str
    state_after: str


@dataclass(frozen=True, slots=True)
class BenchmarkTheorem:
    url: str
    commit: str
    file_path: str
    full_name: str
    start: tuple[int, int]  # (line, column), 1-based
    end: tuple[int, int]
    tactics: tuple[TracedTactic, ...]


def read_split(path: Path) -> list[BenchmarkTheorem]:
    """One split file; ValueError naming the file and the first field that does not fit."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a LeanDojo split file ({e})") from None
    if not isinstance(rows, list):
        raise ValueError(f"{path}: a LeanDojo split file is a JSON list of theorems")
    theorems = []
    for i, row in enumerate(rows):
        try:
            tactics = tuple(TracedTactic(t["tactic"], t["state_before"], t["state_after"])
                            for t in row["traced_tactics"])
            theorems.append(BenchmarkTheorem(
                row["url"], row["commit"], row["file_path"], row["full_name"],
                (int(row["start"][0]), int(row["start"][1])), (int(row["end"][0]), int(row["end"][1])), tactics))
        except (KeyError, TypeError, IndexError, ValueError) as e:
            raise ValueError(f"{path}: theorem {i} lacks or mangles field {e}") from None
    return theorems


def cut_statement(text: str, start: tuple[int, int]) -> tuple[str, str] | None:
    """(header, statement) of the declaration at `start` in a file's `text`; None when it is not
    a theorem/lemma with a `:=` (definitions, `where` and equation-compiler proofs)."""
    lines = text.split("\n")
    line, column = start
    if not 1 <= line <= len(lines):
        return None
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + max(0, column - 1)
    keyword = _KEYWORD.search(text, offset)
    if keyword is None or keyword.start() - offset > 2000:  # docstring and attributes only
        return None
    assign = _top_level_assign(text, keyword.end())
    if assign is None:
        return None
    end = assign + 2
    by = re.match(r"\s*by(?=\s)", text[end:])
    if by:
        end += by.end()
    return text[:offset], text[keyword.start() : end] + "\n"


def _top_level_assign(text: str, i: int) -> int | None:
    """Index of the first `:=` outside brackets, comments and strings from `i`."""
    depth = 0
    while i < len(text) - 1:
        two = text[i : i + 2]
        if two == "--":
            i = text.find("\n", i)
            if i < 0:
                return None
            continue
        if two == "/-":
            nest, i = 1, i + 2
            while nest and i < len(text) - 1:
                nest += {"/-": 1, "-/": -1}.get(text[i : i + 2], 0)
                i += 2 if text[i : i + 2] in ("/-", "-/") else 1
            continue
        ch = text[i]
        if ch == '"':
            i = text.find('"', i + 1) + 1
            if i <= 0:
                return None
            continue
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif two == ":=" and depth == 0:
            return i
        elif depth == 0 and text[i - 1] in " \n" and re.match(r"where\b", text[i:]):
            return None  # `where`: no single `:=` proof
        elif depth == 0 and ch == "|" and text[text.rfind("\n", 0, i) + 1 : i].strip() == "":
            return None  # equations (`| 0 => ...` lines): no single `:=` proof
        i += 1
    return None


def _strategy_folder(root: Path) -> Path:
    if (root / SPLIT_FILES["valid"]).exists() or (root / SPLIT_FILES["test"]).exists():
        return root
    folder = root / STRATEGIES[0]
    if not folder.is_dir():
        raise ValueError(f"{root}: no LeanDojo Benchmark 4 here (expected val.json/test.json or random/)")
    return folder


def _sources(folder: Path) -> Path | None:
    chosen = os.environ.get(SOURCES_VARIABLE)
    if chosen:
        return Path(chosen)
    for candidate in (folder / "repo", folder.parent / "repo"):
        if candidate.is_dir():
            return candidate
    return None


def load_leandojo(root: Path, dojo: bool = False) -> Dataset:
    """The benchmark's valid and test theorems as problems (category: the file's top folder).

    `dojo`: theorems for `--backend leandojo` (named, not cut from their files).
    """
    folder = _strategy_folder(Path(root))
    sources = None if dojo else _sources(folder)
    problems: list[Problem] = []
    commit = ""
    texts: dict[str, str | None] = {}
    for split, name in SPLIT_FILES.items():
        path = folder / name
        if not path.exists():
            continue
        for t in read_split(path):
            commit = commit or t.commit
            note = f"{t.file_path}; {len(t.tactics)} traced tactics"
            category = Path(t.file_path).parts[1] if len(Path(t.file_path).parts) > 2 else "other"
            if dojo:
                from lean_env.leandojo.env import dojo_theorem

                problems.append(Problem(dojo_theorem(t.url, t.commit, t.file_path, t.full_name), split, category,
                                        note=note))
                continue
            if sources is None:
                raise ValueError(f"LeanDojo sources not found: check out {t.url} at {t.commit} into "
                                 f"{folder / 'repo'} (or set {SOURCES_VARIABLE})")
            if t.file_path not in texts:
                file = sources / t.file_path
                texts[t.file_path] = file.read_text(encoding="utf-8") if file.is_file() else None
            text = texts[t.file_path]
            cut = cut_statement(text, t.start) if text is not None else None
            if cut is None:
                continue  # not a theorem the REPL can open by its statement (kept by --backend leandojo)
            header, statement = cut
            problems.append(Problem(Theorem(t.full_name, header, statement, backend="lean"), split, category,
                                    note=note))
    if not problems:
        raise ValueError(f"{folder}: no theorem could be read")
    return Dataset("leandojo-traced" if dojo else "leandojo", "leandojo" if dojo else "lean", commit,
                   tuple(problems))
