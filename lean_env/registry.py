"""Lazy name -> "module:attr" registries, so naming a backend never imports it until it is used.

Used for proof environments, tactic screens, generators, prompt formats and datasets. An unknown
name raises `UnknownName` (a `ValueError`) whose message is one line with suggestions.
"""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from lean_env.base import ProofEnv, Theorem

T = TypeVar("T")


class UnknownName(ValueError):
    pass


class Registry(Generic[T]):
    def __init__(self, kind: str, targets: dict[str, str] | None = None) -> None:
        self.kind = kind  # "backend", "generator", ... (used in error messages)
        self._targets: dict[str, str] = dict(targets or {})
        self._loaded: dict[str, Any] = {}

    def register(self, name: str, target: str | Any) -> None:
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
        obj = getattr(importlib.import_module(module_name), attr)
        self._loaded[name] = obj
        return obj


# Proof environments: a class taking one config argument (or none).
ENVIRONMENTS: Registry[type] = Registry(
    "backend",
    {
        "coq": "lean_env.coq.env:CoqEnv",
        "lean": "lean_env.lean_repl.env:LeanEnv",
        "isabelle": "lean_env.isabelle.env:IsabelleEnv",
        "leandojo": "lean_env.leandojo.env:LeanDojoEnv",  # optional: needs the lean-dojo package
    },
)

# Tactic screens: `screen(tactic: str) -> str | None`, the reason a text may not be sent. Usable
# without starting a process, so generators can drop forbidden candidates early.
SCREENS: Registry = Registry(
    "backend",
    {
        "coq": "lean_env.coq.sentences:screen_tactic",
        "lean": "lean_env.lean_repl.screen:screen_tactic",
        "isabelle": "lean_env.isabelle.screen:screen_tactic",
        "leandojo": "lean_env.lean_repl.screen:screen_tactic",
    },
)


def screen(backend: str, tactic: str) -> str | None:
    """Why `tactic` may not be sent to `backend`, or None when it may."""
    return SCREENS.get(backend)(tactic)


def make_env(backend: str, tactic_timeout: float, extra_imports: str = "") -> ProofEnv:
    """A fresh environment for `backend`: the one constructor the CLI and the evaluation harness share,
    so both apply the tactic timeout the same way. `extra_imports` (Coq only): library loads run
    after each header, for the search and the proof module, never for the statement. Raises
    SetupError when the assistant is missing and UnknownName for an unknown backend."""
    if extra_imports and backend != "coq":
        raise ValueError(f"extra imports are only supported for Coq, not {backend!r}")
    if backend == "coq":
        from lean_env.coq.env import CoqConfig, CoqEnv

        return CoqEnv(CoqConfig(tactic_timeout=tactic_timeout, extra_imports=extra_imports))
    if backend == "lean":
        from lean_env.lean_repl.env import LeanConfig, LeanEnv

        return LeanEnv(LeanConfig(tactic_timeout=tactic_timeout))
    if backend == "leandojo":
        from lean_env.leandojo.env import DojoConfig, LeanDojoEnv

        return LeanDojoEnv(DojoConfig(tactic_timeout=tactic_timeout))
    return ENVIRONMENTS.get(backend)()


def preflight(backend: str, theorem: "Theorem", tactic_timeout: float) -> None:
    """Start `backend` and open `theorem` once, so that a run whose proof assistant cannot start
    fails before its first theorem instead of recording every theorem as an error.

    Raises SetupError (one line) when the assistant is missing or its process is broken; a
    theorem that does not elaborate is that theorem's problem and passes.
    """
    from lean_env.base import BadTheorem, EnvError, SetupError

    try:
        with make_env(backend, tactic_timeout) as env:
            env.open(theorem)
    except BadTheorem:
        return
    except SetupError:
        raise
    except EnvError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise SetupError(f"{backend} cannot start: {first}") from e
