"""Comments and docs must make sense on their own: none may cite the research notes kept outside
this repository (their file names, "B §1.3"-style section marks, numbered "pitfall"s)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("prover", "lean_env", "search", "benchmarks", "prover_cli", "tests", "docs", "scripts", "examples")
SUFFIXES = {".py", ".md", ".toml", ".txt", ".sh", ".lean", ".v", ".thy", ".cfg"}
# The notes' file stems (A_search_anchors.md ... F_style.md), a lettered section mark, the
# notes' numbered pitfalls, and "research note/report". Built from parts so this file passes.
NOTE_STEMS = ["A_" + "search", "B_" + "lean", "C_" + "isabelle", "D_" + "data", "E_" + "coq", "F_" + "style"]
CITATION = re.compile(
    "|".join([rf"\b{stem}\w*(?:\.md)?" for stem in NOTE_STEMS]
             + [r"\b[A-F] \u00a7\s?\d[\d.]*\w*", r"\bpitfalls? \d", r"\bresearch (?:notes?|reports?)\b"])
)


def project_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "pyproject.toml"]
    for folder in SCANNED:
        files += [p for p in (ROOT / folder).rglob("*")
                  if p.suffix in SUFFIXES and p.is_file() and "__pycache__" not in p.parts]
    return [p for p in files if p.exists()]


def citations(text: str) -> list[str]:
    return [m.group(0) for m in CITATION.finditer(text)]


def test_the_pattern_catches_each_citation_style() -> None:
    assert citations("cheap once loaded (" + "E_" + "coq.md \u00a74.4)") == ["E_" + "coq.md"]
    assert citations("panics pile up (B \u00a71.3).") == ["B \u00a71.3"]
    assert citations("only ancestors (pitfall 3)") == ["pitfall 3"]
    assert citations("Notes: research report C, section 1") == ["research report"]
    assert citations("E_TIMEOUT, F_OK, ray's Ray actor, DSP section 2 of the paper") == []


def test_no_comment_cites_the_research_notes() -> None:
    found = []
    for path in project_files():
        if path == Path(__file__).resolve():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            found += [f"{path.relative_to(ROOT)}:{number}: {hit}" for hit in citations(line)]
    assert not found, "cites notes absent from this repository (say what it means instead):\n" + "\n".join(found)
