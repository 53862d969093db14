"""A held-out benchmark from a traced development, as Tactician and LeanDojo measure a policy.

    python -m benchmarks.stdlib_holdout TRACE SOURCES OUT [--unit file|theorem] [--fraction 0.1]
                                        [--theorems 100] [--seed 0]

miniF2F asks for competition reasoning that a library's proofs rarely teach, so it shows little of
what a policy learned from a library knows. This measures that directly: a seeded sample of the
traced files (`--unit file`) or theorems (`--unit theorem`, LeanDojo's random split) is held out;
`OUT/trace` is the trace without their steps (index it with `prover index`), and `OUT/data` is a
dataset in the staged miniF2F-rocq layout (`minif2f_coq.jsonl`, split `valid`) whose problems are
the held-out theorems, each with everything before it in its file as its header. With whole files
held out, a retrieved tactic comes from other files only; held-out theorems leave the other proofs
of their files in the index (Tactician learns from the earlier ones as it goes).

Kept: theorems proved with `Qed` (traced with at least one step), outside any `Section` or `Module`
(whose statements depend on context a header cannot reopen), under files outside `Init/` (compiled
without the prelude). Attributes and `Local` are dropped from the statement, and a file that names
its own module (`QArith_base.Qnum` in QArith_base.v) cannot replay under another: such a problem
fails to open. A problem is named by its theorem (the verifier elaborates the statement under
that name); a name declared in two held-out files is dropped.

Then, for instance (same budget for both rows):

    prover index OUT/trace --out OUT/idx
    prover eval --backend coq --split valid --data OUT/data --out runs/P <budget>
    prover eval --backend coq --split valid --data OUT/data --out runs/R <budget> --generator knn --index OUT/idx
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from lean_env.coq.sentences import SentenceError, located_sentences

_DECLARATION = re.compile(r"(?:#\[[^\]]*\]\s*)?(?:Local\s+|Global\s+)?"
                          r"(Theorem|Lemma|Fact|Remark|Corollary|Proposition)\s+([\w']+)")
_OPENS = re.compile(r"(?:Section|Module(?!\s+Type)(?:\s+(?:Import|Export))?|Module\s+Type)\s+([\w']+)")
_CLOSES = re.compile(r"End\s+([\w']+)\s*\.$")


def top_level_theorems(text: str) -> list[tuple[str, str, str]]:
    """(name, header, statement) of each theorem declared at the top level of a file's text; a
    `Module X := M.` (no body) opens nothing."""
    open_blocks: list[str] = []
    found = []
    for start, bare in located_sentences(text):
        closes = _CLOSES.match(bare)
        if closes and open_blocks and open_blocks[-1] == closes.group(1):
            open_blocks.pop()
            continue
        opens = _OPENS.match(bare)
        if opens and ":=" not in bare:
            open_blocks.append(opens.group(1))
            continue
        declaration = _DECLARATION.match(bare)
        if declaration and not open_blocks:
            # A problem's statement is its own declaration: without the attributes and locality
            # that only mattered inside the file (`Local Lemma`).
            statement = bare[declaration.start(1):]
            found.append((declaration.group(2), text[:start].rstrip() + "\n\n", statement + "\n"))
    return found


def build(trace: Path, sources: Path, out: Path, fraction: float, theorems: int, seed: int,
          unit: str = "file") -> dict[str, Any]:
    """Hold out a seeded `fraction` of the eligible files (`unit="file"`) or of the eligible
    theorems (`unit="theorem"`, LeanDojo's random split: the rest of their files stays in the
    index), and write `out/trace` and `out/data` (at most `theorems` problems)."""
    files = [json.loads(line) for line in (trace / "files.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    proved = {(f["file"], t["name"]) for f in files for t in f["theorems"] if t["status"] == "qed" and t["steps"]}
    eligible = sorted(f["file"] for f in files if not f["file"].startswith("Init/") and not f["problem"]
                      and any((f["file"], t["name"]) in proved for t in f["theorems"]))
    rng = random.Random(seed)
    if unit == "file":
        files_held = set(rng.sample(eligible, max(1, round(fraction * len(eligible)))))
    else:
        files_held = set(eligible)

    problems: list[dict[str, Any]] = []
    for file in sorted(files_held):
        try:
            found = top_level_theorems((sources / file).read_text(encoding="utf-8"))
        except (OSError, SentenceError):
            continue
        problems += [{"name": name, "split": "valid", "header": header, "formal_statement": statement,
                      "source": {"file": file, "theorem": name}}
                     for name, header, statement in found if (file, name) in proved]
    names = Counter(p["name"] for p in problems)
    problems = [p for p in problems if names[p["name"]] == 1]
    if unit == "theorem":
        problems = rng.sample(problems, max(1, round(fraction * len(problems))))
    if len(problems) > theorems:
        problems = rng.sample(problems, theorems)
    problems.sort(key=lambda p: p["name"])
    held = ({(p["source"]["file"], p["source"]["theorem"]) for p in problems} if unit == "theorem" else None)

    def kept(record: dict[str, Any]) -> bool:
        return record["file"] not in files_held if held is None else (record["file"], record["theorem"]) not in held

    (out / "trace").mkdir(parents=True, exist_ok=True)
    kept_steps = 0
    with open(out / "trace" / "steps.jsonl", "w", encoding="utf-8") as steps:
        for line in (trace / "steps.jsonl").open(encoding="utf-8"):
            if line.strip() and kept(json.loads(line)):
                steps.write(line)
                kept_steps += 1
    _write_jsonl(out / "trace" / "files.jsonl", [f for f in files if held is not None or f["file"] not in files_held])
    (out / "data").mkdir(parents=True, exist_ok=True)
    _write_jsonl(out / "data" / "minif2f_coq.jsonl", problems)
    return {"unit": unit, "held_out_files": sorted({p["source"]["file"] for p in problems}),
            "steps_kept": kept_steps, "problems": len(problems)}


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trace", type=Path, help="a `prover trace` folder (steps.jsonl, files.jsonl)")
    parser.add_argument("sources", type=Path, help="the traced development's root (its files' paths are relative to it)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--unit", choices=("file", "theorem"), default="file",
                        help="hold out whole files (stricter), or single theorems (LeanDojo's random split)")
    parser.add_argument("--fraction", type=float, default=0.1, help="share of the eligible files (or theorems) held out")
    parser.add_argument("--theorems", type=int, default=100, help="at most this many problems (a seeded sample)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (args.trace / "files.jsonl").is_file():
        parser.error(f"{args.trace}: no trace here (expected files.jsonl from `prover trace`)")
    if not 0 < args.fraction < 1:
        parser.error(f"--fraction must be in (0, 1), not {args.fraction}")
    summary = build(args.trace, args.sources, args.out, args.fraction, args.theorems, args.seed, args.unit)
    print(json.dumps({k: v for k, v in summary.items() if k != "held_out_files"}))
    print("held out: " + ", ".join(summary["held_out_files"]))


if __name__ == "__main__":
    main()
