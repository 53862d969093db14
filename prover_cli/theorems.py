"""Turn command-line input into a Theorem and an environment for the chosen backend."""

from __future__ import annotations

from pathlib import Path

from lean_env.base import BadTheorem, Theorem
from lean_env.registry import ENVIRONMENTS, make_env  # noqa: F401  (make_env: for the commands)


def read_theorem(backend: str, file: Path | None, statement: str | None, header: str | None, name: str | None) -> Theorem:
    """Raises BadTheorem with a one-line message for missing or unusable input."""
    if backend not in ENVIRONMENTS:
        ENVIRONMENTS.get(backend)  # raises UnknownName with suggestions
    if backend == "coq":
        from lean_env.coq.files import theorem_from_statement, theorem_from_text
    elif backend == "lean":
        from lean_env.lean_repl.files import theorem_from_statement, theorem_from_text
    elif backend == "isabelle":
        if statement is not None:
            raise BadTheorem("--statement is not supported for Isabelle: give a .thy file")
        from benchmarks.datasets import isabelle_from_file

        def theorem_from_text(text: str, name: str | None) -> Theorem:
            try:
                return isabelle_from_file(text, name or file.stem)
            except ValueError as exc:
                raise BadTheorem(str(exc)) from None
    else:
        raise BadTheorem(f"reading theorems for backend {backend!r} is not supported yet")
    if statement is not None:
        return theorem_from_statement(statement, header)
    assert file is not None
    if not file.exists():
        raise BadTheorem(f"{file}: no such file")
    if file.is_dir():
        raise BadTheorem(f"{file}: is a directory, not a theorem file")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadTheorem(f"{file}: cannot read: {exc}") from None
    try:
        return theorem_from_text(text, name)
    except BadTheorem as exc:
        raise BadTheorem(f"{file}: {exc}") from None



def extra_imports_for(backend: str, value: str | None) -> str:
    """The `--extra-imports` text to use: the backend's default when not given, "" for "none".

    Raises ValueError (one line) for a text that is not library loads, or for a backend without them.
    """
    if value is not None and value.strip().lower() == "none":
        return ""
    if backend != "coq":
        if value:
            raise ValueError(f"--extra-imports is only supported for Coq, not {backend!r}")
        return ""
    from lean_env.coq.env import DEFAULT_EXTRA_IMPORTS, check_extra_imports

    text = DEFAULT_EXTRA_IMPORTS if value is None else value.strip()
    check_extra_imports(text)
    return text


def knn_index_for(generator: str, index: Path | None) -> str | None:
    """The index folder for `--generator knn` (absolute, for workers elsewhere); ValueError otherwise."""
    if generator not in ("portfolio", "knn"):
        raise ValueError(f"--generator must be portfolio or knn, not {generator!r}")
    if generator == "portfolio":
        if index is not None:
            raise ValueError("--index needs --generator knn")
        return None
    if index is None:
        raise ValueError("--generator knn needs --index FOLDER (built by `prover index`)")
    from prover.knn import KnnIndex

    KnnIndex.load(index)  # fails early, with one line, for a folder that is not an index
    return str(index.resolve())
