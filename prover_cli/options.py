"""The options `prove` and `eval` share: the model spec and the search budget, declared once.

Each option is an `Annotated` type, so both commands show the same flag, default and help text in
the same help panel, and `check_*` validate them the same way before any work starts: an unknown
value or a bad budget is exit 2 naming the allowed values; a model that cannot be reached or
loaded is exit 3 (checked with `check_model_available`, before a run directory is created).
"""

from __future__ import annotations

import functools
import inspect
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from prover_cli.app import EXIT_BAD_INPUT, EXIT_ENV, fail

MODEL_PANEL = "Model (the portfolio first, then the model's tactics)"
BUDGET_PANEL = "Budget"
ENGINES = ("hf", "vllm", "openai", "tiny")  # prover.model_registry.ENGINES (checked by a test)
SCORES = ("sum", "mean")
PROMPT_FORMATS = ("llemma", "reprover", "internlm2-stepprover", "internlm2.5-stepprover", "bfs-prover", "coq", "hol-light")
DEFAULT_ENDPOINT = "http://127.0.0.1:8000/v1"


def _model(*names: str, **kw):
    return typer.Option(*names, rich_help_panel=MODEL_PANEL, **kw)


def _budget(*names: str, **kw):
    return typer.Option(*names, rich_help_panel=BUDGET_PANEL, **kw)


# -- model spec ----------------------------------------------------------------------------------
Tactics = Annotated[Optional[Path], _model(help="Tactic list file, one tactic per line (replaces the portfolio).")]
Portfolio = Annotated[bool, _model(help="Try the backend's automation portfolio (first, when a model is used).")]
Model = Annotated[Optional[str], _model(
    "--model", "-m", help="Hugging Face id or local model folder; with --engine openai, the served model's name.")]
Engine = Annotated[str, _model(help=f"Model engine: {', '.join(ENGINES)} (tiny: random weights, for tests).")]
PromptFormat = Annotated[Optional[str], _model(
    help=f"Prompt format: {', '.join(PROMPT_FORMATS)} (default: chosen from the model id).")]
Temperature = Annotated[float, _model(help="Sampling temperature (0: greedy; --attempts > 1 needs > 0).")]
BeamSearch = Annotated[bool, _model(help="Beam search instead of sampling.")]
TopP = Annotated[Optional[float], _model(help="Nucleus sampling threshold, in (0, 1].")]
Stop = Annotated[list[str], _model("--stop", help="Stop text (repeatable; default: the prompt format's).")]
MaxNewTokens = Annotated[int, _model(help="Maximum tokens per generated tactic.")]
Score = Annotated[str, _model(help="Candidate score: sum or mean token log-probability.")]
Device = Annotated[Optional[str], _model(help="Model device (cpu, cuda, cuda:1, auto).")]
Dtype = Annotated[str, _model(help="Model dtype (auto, bfloat16, float16, float32).")]
Endpoint = Annotated[Optional[str], _model(
    help=f"Base URL of an OpenAI-compatible completions server, for --engine openai (default {DEFAULT_ENDPOINT}).")]
ApiKey = Annotated[Optional[str], _model(envvar="OPENAI_API_KEY", show_envvar=False,
                                         help="API key for --endpoint (default $OPENAI_API_KEY; never stored).")]
MaxBatchSize = Annotated[int, _model(help="Most generation requests a model worker batches together.")]
MaxWait = Annotated[float, _model(help="Seconds a model worker waits to fill a batch.")]


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """The model spec as the user gave it: one value for `prove` and `eval` alike."""

    tactics: Path | None = None
    portfolio: bool = True
    model: str | None = None
    engine: str = "hf"
    prompt_format: str | None = None
    temperature: float = 0.0
    beam_search: bool = False
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    max_new_tokens: int = 128
    score: str = "sum"
    device: str | None = None
    dtype: str = "auto"
    endpoint: str | None = None
    api_key: str | None = None
    max_batch_size: int = 64
    max_wait_s: float = 0.01

    def check(self, *, check_format: bool = True, as_json: bool = False) -> None:
        """Exit 2 for an unknown value (see `check_model_options`)."""
        check_model_options(self.model, self.engine, self.score, self.prompt_format, self.temperature, self.top_p,
                            check_format=check_format, as_json=as_json)

    def check_available(self, as_json: bool = False) -> None:
        """Exit 2/3 for a model that does not exist or cannot be reached (`check_model_available`)."""
        check_model_available(self.model, self.engine, self.endpoint, self.api_key, as_json=as_json)

    def generator_options(self, backend: str, **extra: Any):
        """The `prover.factory.GeneratorOptions` these choices mean."""
        from prover.factory import GeneratorOptions

        values = asdict(self)
        values["tactics_file"] = values.pop("tactics")
        values["stop"] = self.stop or None
        return GeneratorOptions(backend=backend, **values, **extra)

    def stored(self, backend: str) -> dict[str, Any]:
        """What a run directory records (config.json `generator`): never the API key; options added
        later (top-p, stop, score) only when set, so that older runs still resume."""
        stored = {
            "backend": backend, "portfolio": self.portfolio, "tactics_file": str(self.tactics) if self.tactics else None,
            "model": self.model, "engine": self.engine, "prompt_format": self.prompt_format,
            "temperature": self.temperature, "beam_search": self.beam_search, "max_new_tokens": self.max_new_tokens,
            "device": self.device, "dtype": self.dtype, "endpoint": self.endpoint,
            "max_batch_size": self.max_batch_size, "max_wait_s": self.max_wait_s,
        }
        stored.update({k: v for k, v in (("top_p", self.top_p), ("stop", list(self.stop) or None), ("score", self.score))
                       if v is not None and not (k == "score" and v == "sum")})
        return stored


_MODEL_OPTIONS: dict[str, Any] = {
    "tactics": Tactics, "portfolio": Portfolio, "model": Model, "engine": Engine, "prompt_format": PromptFormat,
    "temperature": Temperature, "beam_search": BeamSearch, "top_p": TopP, "stop": Stop,
    "max_new_tokens": MaxNewTokens, "score": Score, "device": Device, "dtype": Dtype, "endpoint": Endpoint,
    "api_key": ApiKey, "max_batch_size": MaxBatchSize, "max_wait_s": MaxWait,
}


def with_model_options(command: Callable) -> Callable:
    """Give `command` the shared model options in place of its `model_choice: ModelChoice`
    parameter: typer sees each flag, the command receives one `ModelChoice`."""
    signature = inspect.signature(command, eval_str=True)
    names = list(signature.parameters)
    at = names.index("model_choice")
    defaults = ModelChoice()
    shared = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation,
                                default=[] if name == "stop" else getattr(defaults, name))
              for name, annotation in _MODEL_OPTIONS.items()]
    params = list(signature.parameters.values())

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in _MODEL_OPTIONS if name in kwargs}
        if "stop" in values:
            values["stop"] = tuple(values["stop"] or ())
        kwargs["model_choice"] = ModelChoice(**values)
        return command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=params[:at] + shared + params[at + 1:])  # type: ignore[attr-defined]
    return wrapper


# -- budget --------------------------------------------------------------------------------------
NumSamples = Annotated[int, _budget(help="Budget S: candidate tactics asked of the generator per expansion.")]
MaxExpansions = Annotated[int, _budget(help="Budget T: node expansions per search.")]
WallTime = Annotated[float, _budget(help="Seconds per theorem, all searches together (inf: no limit).")]
TacticTimeout = Annotated[float, _budget(help="Seconds per tactic.")]
Policy = Annotated[str, _budget(help="Search priority: cumulative, depth_normalized, breadth_first.")]

# -- proof assistant -----------------------------------------------------------------------------
LeanProject = Annotated[Optional[Path], typer.Option(
    "--lean-project", help="The built Lean project (default: $PROVER_LEAN_WORKSPACE or ~/.cache/prover/lean).")]
IsabelleExe = Annotated[Optional[str], typer.Option(
    "--isabelle", help="The isabelle executable (default: `isabelle` on PATH).")]
Verbose = Annotated[bool, typer.Option(
    "--verbose", "-v", help="Log what the search and the proof assistant do (to stderr).")]


def check_model_options(model: str | None, engine: str, score: str, prompt_format: str | None,
                        temperature: float, top_p: float | None, check_format: bool = True,
                        as_json: bool = False) -> None:
    """Exit 2 naming the allowed values for any unknown model option, with or without a model."""
    if engine not in ENGINES:
        raise fail(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}", as_json=as_json)
    if score not in SCORES:
        raise fail(f"--score must be one of {', '.join(SCORES)}, not {score!r}", as_json=as_json)
    if check_format and prompt_format not in (None, "auto", *PROMPT_FORMATS):
        raise fail(f"--prompt-format must be one of {', '.join(PROMPT_FORMATS)}, not {prompt_format!r}", as_json=as_json)
    if not (math.isfinite(temperature) and temperature >= 0):
        raise fail(f"--temperature must be a finite number >= 0 (got {temperature})", as_json=as_json)
    if top_p is not None and not (0 < top_p <= 1):
        raise fail(f"--top-p must be in (0, 1] (got {top_p})", as_json=as_json)


def check_budget(*, num_samples: int, max_expansions: int, wall_time: float, tactic_timeout: float,
                 attempts: int = 1, as_json: bool = False) -> None:
    """Exit 2 for a budget the search would refuse (`SearchConfig`'s checks): the same rules for
    every command that searches."""
    from search.best_first import SearchConfig

    try:
        if attempts < 1:
            raise ValueError(f"--attempts must be at least 1 (got {attempts})")
        SearchConfig(max_expansions, num_samples, wall_time, tactic_timeout)
    except ValueError as exc:
        raise fail(str(exc), as_json=as_json) from None


def check_model_available(model: str | None, engine: str, endpoint: str | None, api_key: str | None,
                          as_json: bool = False) -> None:
    """Exit 2 for a model folder that does not exist, 3 for a model that cannot be reached or
    loaded (endpoint down, hub id not cached while offline): before any theorem is tried."""
    from prover.preflight import ModelNotFound, ModelUnavailable, check_model

    try:
        check_model(model, engine, endpoint, api_key)
    except ModelNotFound as exc:
        raise fail(str(exc), EXIT_BAD_INPUT, as_json=as_json) from None
    except ModelUnavailable as exc:
        raise fail(str(exc), EXIT_ENV, as_json=as_json) from None


def infer_backend(ctx: typer.Context | None, backend: str, file: Path | None) -> str:
    """The backend named by the file's extension unless --backend was given."""
    given = ctx is not None and getattr(ctx.get_parameter_source("backend"), "name", "") != "DEFAULT"
    if given or file is None:
        return backend
    from lean_env.registry import assistant_for_file

    return assistant_for_file(file, backend)


def apply_assistant_paths(lean_project: Path | None, isabelle: str | None, as_json: bool = False) -> None:
    """Point the Lean and Isabelle bridges at the user's installation (inherited by every worker)."""
    if lean_project is not None:
        if not lean_project.is_dir():
            raise fail(f"--lean-project {lean_project}: no such directory", as_json=as_json)
        from lean_env.lean_repl.config import WORKSPACE_VARIABLE

        os.environ[WORKSPACE_VARIABLE] = str(lean_project.resolve())
    if isabelle is not None:
        from lean_env.isabelle.env import EXECUTABLE_VARIABLE

        os.environ[EXECUTABLE_VARIABLE] = isabelle
