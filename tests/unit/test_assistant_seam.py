"""No module outside an assistant's folder branches on an assistant's name: it asks the assistant's
descriptor (lean_env/assistant.py). Tables keyed by name (portfolios, prompt formats, dataset
loaders) are allowed; comparisons with a name (`backend == "coq"`, `backend in ("coq", ...)`) are not."""

from __future__ import annotations

import ast
from pathlib import Path

from lean_env.registry import ASSISTANTS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("lean_env", "prover", "search", "benchmarks", "prover_cli")
ASSISTANT_FOLDERS = {"coq", "lean_repl", "isabelle", "leandojo", "hol_light"}
# Files allowed to compare with names, and why.
ALLOWED = {
    "prover_cli/verify_cmd.py": "reads the two published proof formats, Coq's and Lean's, by name",
}
ALLOWED_FOLDERS = ("benchmarks/perf/",)  # measurement scripts written for one assistant each


def _names(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(_names(e) for e in node.elts)) if node.elts else set()
    return set()


def branches_on_names(source: str, names: set[str]) -> list[int]:
    """Lines comparing something with an assistant's name."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_names(o) & names for o in operands) and any(
                isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) for op in node.ops
            ):
                lines.append(node.lineno)
    return lines


def test_the_check_finds_a_branch() -> None:
    names = {"coq"}
    assert branches_on_names('if backend == "coq":\n    pass\n', names) == [1]
    assert branches_on_names('x = backend in ("lean", "coq")\n', names) == [1]
    assert branches_on_names('TABLE = {"coq": 1}\nTABLE.get(backend)\n', names) == []


def test_no_module_outside_an_assistant_folder_branches_on_its_name() -> None:
    names = set(ASSISTANTS.names()) | {"hol-light"}
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            parts = relative.split("/")
            if parts[0] == "lean_env" and len(parts) > 2 and parts[1] in ASSISTANT_FOLDERS:
                continue
            if relative in ALLOWED or relative.startswith(ALLOWED_FOLDERS):
                continue
            found += [f"{relative}:{line}" for line in branches_on_names(path.read_text(encoding="utf-8"), names)]
    assert not found, "ask the assistant's descriptor instead of comparing names: " + ", ".join(found)
