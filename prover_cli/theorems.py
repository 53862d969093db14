"""Turn command-line input into a Theorem and an environment for the chosen backend."""

from __future__ import annotations

from pathlib import Path

from lean_env.base import BadTheorem, Theorem
from lean_env.registry import assistant, make_env  # noqa: F401  (make_env: for the commands)


def read_theorem(backend: str, file: Path | None, statement: str | None, header: str | None, name: str | None) -> Theorem:
    """Raises BadTheorem with a one-line message for missing or unusable input."""
    chosen = assistant(backend)  # raises UnknownName with suggestions
    if statement is not None:
        return chosen.theorem_from_statement(statement, header)
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
        return chosen.theorem_from_text(text, name)
    except BadTheorem as exc:
        raise BadTheorem(f"{file}: {exc}") from None



def extra_imports_for(backend: str, value: str | None) -> str:
    """The `--extra-imports` text to use: the backend's default when not given, "" for "none".

    Raises ValueError (one line) for a text that is not library loads, or for a backend without them.
    """
    if value is not None and value.strip().lower() == "none":
        return ""
    chosen = assistant(backend)
    if chosen.extra_imports is None:
        if value:
            raise ValueError(f"--extra-imports is only supported for Coq, not {backend!r}")
        return ""
    return chosen.check_extra_imports(chosen.extra_imports if value is None else value.strip())


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
