"""The options commands share, declared once: the model spec group and the search budget.

Each option is an `Annotated` type, so every command shows the same flag, default and help text in
the same help panel. The model options reach a command as one validated `ModelSpec`
(`with_model_spec`); `check_*` validate the rest the same way before any work starts: an unknown
value or a bad budget is exit 2 naming the allowed values; a model that cannot be reached or
loaded is exit 3 (checked with `check_model_available`, before a run directory is created).
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from prover.model_spec import DEFAULT_TEMPERATURE, DTYPES, ENGINE_NAMES
from prover_cli.app import EXIT_BAD_INPUT, EXIT_ENV, fail

MODEL_PANEL = "Model (the portfolio first, then the model's tactics)"
BUDGET_PANEL = "Budget"
ENGINES = ENGINE_NAMES
PROMPT_FORMATS = ("llemma", "reprover", "internlm2-stepprover", "internlm2.5-stepprover", "bfs-prover", "coq", "hol-light")


def _search_config_defaults() -> Any:
    """`SearchConfig()`, imported here only when a command module loads (search is light)."""
    from search.best_first import SearchConfig

    return SearchConfig()


def _model(*names: str, **kw):
    return typer.Option(*names, rich_help_panel=MODEL_PANEL, **kw)


def _budget(*names: str, **kw):
    return typer.Option(*names, rich_help_panel=BUDGET_PANEL, **kw)


# -- model spec: one flag per `prover.model_spec.ModelSpec` field the CLI offers ---------------------
# The portfolio and a tactic list are generator choices beside the model (prove and eval only).
Tactics = Annotated[Optional[Path], _model(help="Tactic list file, one tactic per line (replaces the portfolio).")]
Portfolio = Annotated[bool, _model(help="Try the backend's automation portfolio (first, when a model is used).")]

Model = Annotated[Optional[str], _model(
    "--model", "-m", help="Hugging Face id or local model folder; with --engine openai, the served model's name.")]
Engine = Annotated[str, _model(help=f"Model engine: {', '.join(ENGINES)} (tiny: random weights, for tests).")]
PromptFormat = Annotated[Optional[str], _model(
    help=f"Prompt format: {', '.join(PROMPT_FORMATS)}; with --mode whole-proof, a whole-proof format "
         "(default: chosen from the model id).")]
Temperature = Annotated[Optional[float], _model(
    help="Sampling temperature; 0: greedy (beam search for several tactics). Default: "
         + ", ".join(f"{t:g} for {use}" for use, t in DEFAULT_TEMPERATURE.items())
         + ". Several attempts, sketches or whole proofs need > 0.")]
BeamSearch = Annotated[bool, _model("--beam-search/--no-beam-search", help="Beam search instead of sampling.")]
TopP = Annotated[float, _model(help="Nucleus sampling threshold, in (0, 1].")]
Stop = Annotated[list[str], _model("--stop", help="Stop text (repeatable; default: the prompt format's).")]
MaxNewTokens = Annotated[int, _model(help="Maximum tokens per generated tactic.")]
Score = Annotated[str, _model(help="Candidate score: sum or mean token log-probability.")]
Device = Annotated[str, _model(help="Model device (cpu, cuda, cuda:1, auto).")]
Dtype = Annotated[str, _model(help=f"Model dtype ({', '.join(DTYPES)}).")]
Endpoint = Annotated[str, _model(help="Base URL of an OpenAI-compatible completions server, for --engine openai.")]
ApiKey = Annotated[Optional[str], _model(envvar="OPENAI_API_KEY", show_envvar=False,
                                         help="API key for --endpoint (default $OPENAI_API_KEY; never stored).")]
Batching = Annotated[bool, _model(help="Batch model requests across concurrent searches.")]
MaxBatchSize = Annotated[int, _model(help="Most generation requests a model server batches together.")]
MaxWait = Annotated[float, _model(help="Seconds a model server waits to fill a batch.")]

# The shared group: parameter name (= ModelSpec field) -> its option. Every command that takes a
# model gets exactly these through `with_model_spec` (a test compares the commands' parameters).
MODEL_OPTIONS: dict[str, Any] = {
    "model": Model, "engine": Engine, "prompt_format": PromptFormat, "temperature": Temperature,
    "beam": BeamSearch, "top_p": TopP, "stop": Stop, "max_new_tokens": MaxNewTokens, "score": Score,
    "device": Device, "dtype": Dtype, "endpoint": Endpoint, "api_key": ApiKey, "batching": Batching,
    "max_batch_size": MaxBatchSize, "max_wait_s": MaxWait,
}


def with_model_spec(command: Callable) -> Callable:
    """Give `command` the shared model options in place of its `model_spec: ModelSpec | None`
    parameter: typer sees each flag, the command receives one validated `ModelSpec` (None without
    --model). A value no engine can use is exit 2 with one line naming the flag, before any work;
    the other values are checked even without --model (a typo is an error either way). A command
    that needs an option's value without a model (the format of recorded whole proofs) declares a
    parameter of that name too: it gets the value as given, and typer still sees one flag."""
    signature = inspect.signature(command, eval_str=True)
    params = [p for p in signature.parameters.values() if p.name not in MODEL_OPTIONS]
    raw = [name for name in MODEL_OPTIONS if name in signature.parameters]
    at = [p.name for p in params].index("model_spec")
    defaults = model_params(None)
    shared = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation,
                                default=defaults[name])
              for name, annotation in MODEL_OPTIONS.items()]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in MODEL_OPTIONS if name in kwargs}
        kwargs["model_spec"] = model_spec_from(values, as_json=bool(kwargs.get("as_json", False)))
        kwargs.update({name: values.get(name, defaults[name]) for name in raw})
        return command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=params[:at] + shared + params[at + 1:])  # type: ignore[attr-defined]
    return wrapper


_NO_MODEL = "(no model)"  # stands in for --model while the other values are checked without one


def model_spec_from(values: dict[str, Any], as_json: bool = False):
    """The `ModelSpec` the shared options say (None without --model); exit 2 naming a bad flag."""
    from prover.model_spec import TACTICS, WHOLE_PROOFS, InvalidModelSpec, ModelSpec

    values = dict(values)
    model = values.pop("model", None)
    if "stop" in values:
        values["stop"] = tuple(values["stop"]) or None
    try:
        spec = ModelSpec(model=model if model is not None else _NO_MODEL, **values)
        if model is None:  # which use is the command's to say; a name no use knows is a typo
            try:
                spec.check_use(WHOLE_PROOFS)
            except InvalidModelSpec:
                spec.check_use(TACTICS)
    except InvalidModelSpec as exc:
        raise fail(model_error(exc), as_json=as_json) from None
    return spec if model is not None else None


def model_params(spec) -> dict[str, Any]:
    """The shared options' values that build `spec` again (what resume passes back); their
    defaults for None."""
    from prover.model_spec import ModelSpec

    values = {name: getattr(spec or ModelSpec(model=_NO_MODEL), name) for name in MODEL_OPTIONS}
    values["stop"] = list(values["stop"] or [])
    values["model"] = spec.model if spec is not None else None
    return values


def model_error(exc) -> str:
    """An `InvalidModelSpec` as one line naming the command-line flag."""
    flag = "--beam-search" if exc.field == "beam" else "--" + exc.field.replace("_", "-")
    return f"{flag} {exc.problem}"


def check_model_use(spec, use: str, samples: int = 1, samples_option: str = "", as_json: bool = False) -> None:
    """Exit 2 when `spec` cannot serve `use` (see `ModelSpec.check_use`); nothing without a model."""
    from prover.model_spec import InvalidModelSpec

    if spec is None:
        return
    try:
        spec.check_use(use, samples, samples_option)
    except InvalidModelSpec as exc:
        raise fail(model_error(exc), as_json=as_json) from None


# -- budget --------------------------------------------------------------------------------------
# Every command that searches declares these four with the defaults of `SearchConfig`, the one
# budget type (validated by `check_budget`): `max_expansions: opt.MaxExpansions = opt.BUDGET.max_expansions`.
BUDGET = _search_config_defaults()
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


def check_model_available(spec, as_json: bool = False) -> None:
    """Exit 2 for a model folder that does not exist, 3 for a model that cannot be reached or
    loaded (endpoint down, hub id not cached while offline): before any theorem is tried."""
    from prover.preflight import ModelNotFound, ModelUnavailable, check_model

    if spec is None:
        return
    try:
        check_model(spec.model, spec.engine, spec.endpoint, spec.api_key)
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
