"""Lazy name -> "module:attr" registries, so naming a backend never imports it until it is used.

Used for proof assistants (their descriptors), generators, prompt formats and datasets. An unknown
name raises `UnknownName` (a `ValueError`) whose message is one line with suggestions.
"""

from __future__ import annotations

import difflib
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from lean_env.assistant import Assistant, EnvOptions

if TYPE_CHECKING:
    from lean_env.base import ProofEnv, Theorem

T = TypeVar("T")


class UnknownName(ValueError):
    pass


class Registry(Generic[T]):
    def __init__(self, kind: str, targets: dict[str, str] | None = None) -> None:
        self.kind = kind  # "backend", "generator", ... (used in error messages)
        self._targets: dict[str, str] = dict(targets or {})
        self._loaded: dict[str, T] = {}

    def register(self, name: str, target: str | T) -> None:
        """Register `name` as a "module:attr" string (loaded lazily) or as an object."""
        if name in self._targets or name in self._loaded:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        if isinstance(target, str):
            self._targets[name] = target
        else:
            self._loaded[name] = target

    def names(self) -> list[str]:
        return sorted(set(self._targets) | set(self._loaded))

    def __contains__(self, name: str) -> bool:
        return name in self._targets or name in self._loaded

    def get(self, name: str) -> T:
        if name in self._loaded:
            return self._loaded[name]
        if name not in self._targets:
            close = difflib.get_close_matches(name, self.names(), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownName(
                f"unknown {self.kind} {name!r} (known: {', '.join(self.names())}){hint}"
            )
        module_name, _, attr = self._targets[name].partition(":")
        obj: T = getattr(importlib.import_module(module_name), attr)
        self._loaded[name] = obj
        return obj


# Proof assistants: one descriptor per assistant (lean_env/assistant.py), in its own folder. Adding
# an assistant is its folder plus one line here (and a conformance subject, tests/conformance/).
ASSISTANTS: Registry[Assistant] = Registry(
    "backend",
    {
        "coq": "lean_env.coq.assistant:ASSISTANT",
        "lean": "lean_env.lean_repl.assistant:ASSISTANT",
        "isabelle": "lean_env.isabelle.assistant:ASSISTANT",
        "leandojo": "lean_env.leandojo.assistant:ASSISTANT",  # optional: needs the lean-dojo package
        "hol-light": "lean_env.hol_light.assistant:ASSISTANT",
    },
)


def assistant(name: str) -> Assistant:
    """The descriptor of `name`; UnknownName (one line, with suggestions) for an unknown one."""
    return ASSISTANTS.get(name)


def assistant_for_file(path: Path, default: str = "coq") -> str:
    """The assistant whose theorem files end like `path` (`default` when none claims it)."""
    for name in ASSISTANTS.names():
        if path.suffix and path.suffix in assistant(name).suffixes:
            return name
    return default


def screen(backend: str, tactic: str) -> str | None:
    """Why `tactic` may not be sent to `backend`, or None when it may."""
    return assistant(backend).screen(tactic)


def make_env(
    backend: str, tactic_timeout: float = 5.0, extra_imports: str = "", verify_timeout: float | None = None
) -> ProofEnv:
    """A fresh environment for `backend`: the one constructor every command and the evaluation
    harness share. `tactic_timeout` is only the default of a `run_tactic` call that passes none
    (the search passes its budget's on every call). `extra_imports`: library loads run after each
    header, for the search and the proof module, never for the statement (assistants whose
    descriptor supports them); `verify_timeout`: seconds to check one whole proof. Raises SetupError when the assistant is missing and UnknownName
    for an unknown backend."""
    chosen = assistant(backend)
    if extra_imports and chosen.extra_imports is None:
        raise ValueError(f"extra imports are only supported for Coq, not {backend!r}")
    return chosen.make_env(EnvOptions(tactic_timeout, extra_imports, verify_timeout))


def preflight(backend: str, theorem: "Theorem", tactic_timeout: float) -> None:
    """Start `backend` and open `theorem` once, so that a run whose proof assistant cannot start
    fails before its first theorem instead of recording every theorem as an error.

    Raises SetupError (one line) when the assistant is missing or its process is broken; a
    theorem that does not elaborate is that theorem's problem and passes.
    """
    from lean_env.base import BadTheorem, EnvError, SetupError

    try:
        env = make_env(backend, tactic_timeout)
        try:
            env.open(theorem)
        finally:
            env.close()
    except BadTheorem:
        return
    except SetupError:
        raise
    except EnvError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise SetupError(f"{backend} cannot start: {first}") from e
