"""The bridge `prover.factory` calls: CLI generator options -> a batched `ModelGenerator`.

Reads the options by name (with defaults for any the CLI does not define yet), so the CLI can add
flags without a change here. Nothing heavy is imported until the engine is built.
"""

from __future__ import annotations

from typing import Any

from prover.model_registry import ModelSpec, build_generator

# ModelSpec field -> the option names the CLI may use for it, first found wins.
_ALIASES: dict[str, tuple[str, ...]] = {
    "beam": ("beam", "beam_search"),
    "device": ("device",),
    "endpoint": ("endpoint", "base_url"),
    "max_batch_size": ("max_batch_size", "batch_size"),
}


def spec_from_options(options: Any) -> ModelSpec:
    """A `ModelSpec` from any object with model options as attributes (None means "default")."""
    values: dict[str, Any] = {}
    for name in ModelSpec.__dataclass_fields__:
        for alias in _ALIASES.get(name, (name,)):
            value = getattr(options, alias, None)
            if value is not None:
                values[name] = tuple(value) if name == "stop" else value
                break
    if "model" not in values:
        raise ValueError("no model given")
    return ModelSpec(**values)


def make_model_generator(options: Any, engine: Any = None) -> Any:
    """Build the model generator named by the CLI options (loads the model now, unless `engine`
    is given: then it is used as is, e.g. a `prover.model_server.RayEngine` on a shared batched actor)."""
    return build_generator(spec_from_options(options), engine=engine)
