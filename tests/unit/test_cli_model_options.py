"""Every command that takes a model offers the same model option group and gets one validated
`ModelSpec` from it; bad values are one line and exit 2 before any work; resume reads the spec back."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from prover.model_spec import ModelSpec
from prover_cli import options as opt
from prover_cli.main import app

# Commands with a --model that is not a model to generate with: `train` names the weights it
# fine-tunes (no engine, no decoding), so the decoding options would mean nothing there.
NOT_GENERATING = {"train"}


def _commands() -> dict[str, typer.core.TyperCommand]:
    root = typer.main.get_command(app)
    return dict(root.commands)  # type: ignore[attr-defined]


def _group(command) -> dict[str, tuple]:
    return {p.name: (tuple(p.opts), tuple(p.secondary_opts), p.default, p.help, getattr(p, "rich_help_panel", None),
                     p.envvar) for p in command.params if p.name in opt.MODEL_OPTIONS}


def test_every_model_taking_command_exposes_the_same_option_group():
    commands = _commands()
    taking = sorted(name for name, command in commands.items()
                    if any("--model" in p.opts for p in command.params) and name not in NOT_GENERATING)
    assert taking == ["eval", "prove", "prove-informal"]
    groups = {name: _group(commands[name]) for name in taking}
    assert set(groups["prove"]) == set(opt.MODEL_OPTIONS)  # the whole group, nothing left out
    for name in taking:
        assert groups[name] == groups["prove"], name
    assert groups["prove"]["temperature"][2] is None  # the default is the use's (see ModelSpec)
    assert "--beam-search" in groups["prove"]["beam"][0]


@pytest.mark.parametrize(("args", "line"), [
    (["--temperature", "nan"], "error: --temperature must be a finite number >= 0 (got nan)"),
    (["--temperature", "-1"], "error: --temperature must be a finite number >= 0 (got -1.0)"),
    (["--top-p", "0"], "error: --top-p must be in (0, 1] (got 0.0)"),
    (["--max-new-tokens", "0"], "error: --max-new-tokens must be a whole number >= 1 (got 0)"),
    (["--engine", "gpt"], "error: --engine must be one of hf, vllm, openai, tiny, not 'gpt'"),
    (["--stop", ""], "error: --stop must be non-empty texts (got [''])"),
    (["--dtype", "fp8"], "error: --dtype must be one of auto, bfloat16, float16, float32, not 'fp8'"),
])
@pytest.mark.parametrize("command", ["prove", "eval", "prove-informal"])
def test_a_bad_model_value_is_one_line_and_exit_2(command, args, line, tmp_path):
    base = {"prove": ["prove", "--statement", "True", "--model", "tiny", "--engine", "tiny"],
            "eval": ["eval", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--model", "tiny", "--engine", "tiny"],
            "prove-informal": ["prove-informal", "--statement", "True", "--informal", str(tmp_path / "i.json"),
                               "--model", "tiny", "--engine", "tiny"]}[command]
    result = CliRunner().invoke(app, base + args)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines()[-1] == line
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("args", "needle"), [
    (["prove", "--statement", "True", "--informal", "i.json", "--temperature", "0"],
     "--temperature 0 gives the same sketches every time, so --num-sketches 32 would repeat the same work"),
    (["prove", "--statement", "True", "--mode", "whole-proof", "--temperature", "0", "--num-samples", "4"],
     "--temperature 0 gives the same whole-proofs every time, so --num-samples 4"),
    (["eval", "--data", ".", "--out", "run", "--attempts", "2"],
     "--temperature 0 gives the same tactics every time, so --attempts 2"),
    (["eval", "--data", ".", "--out", "run", "--attempts", "2", "--temperature", "0.5", "--beam-search"],
     "--beam-search gives the same tactics every time"),
    (["prove", "--statement", "True", "--prompt-format", "kimina-prover"], "--prompt-format must be one of bfs-prover"),
])
def test_deterministic_decoding_asked_for_several_samples_is_refused(args, needle, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args + ["--model", "tiny", "--engine", "tiny"])
    assert result.exit_code == 2 and needle in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "run").exists()


def test_without_a_model_the_values_are_still_checked_and_no_spec_is_made():
    assert opt.model_spec_from(opt.model_params(None)) is None
    with pytest.raises(typer.Exit):
        opt.model_spec_from({**opt.model_params(None), "temperature": float("nan")})
    with pytest.raises(typer.Exit):
        opt.model_spec_from({**opt.model_params(None), "prompt_format": "nope"})


def test_resume_reads_the_stored_spec_back_as_the_same_options(tmp_path):
    from benchmarks.results import Budget, RunConfig, RunDir
    from prover.factory import GeneratorOptions
    from prover_cli.resume import stored_options

    spec = ModelSpec("tiny", engine="tiny", temperature=0.0, top_p=0.95, stop=("\n",), beam=False, batching=False,
                     max_new_tokens=16, device="cpu")
    config = RunConfig("minif2f-coq", "c0", "coq", "valid", ("a",), GeneratorOptions("coq", False, None, spec),
                       Budget())
    RunDir(tmp_path).create(config)
    options = stored_options(tmp_path)
    assert options["temperature"] == 0.0 and options["portfolio"] is False and options["stop"] == ["\n"]
    again = opt.model_spec_from({name: options[name] for name in opt.MODEL_OPTIONS})
    assert again == spec
    stored = json.loads((tmp_path / "config.json").read_text())["generator"]["model"]
    assert ModelSpec.from_json(stored) == again
