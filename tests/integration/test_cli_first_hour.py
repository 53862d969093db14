"""A new user's first hour, through the `prover` command: no infrastructure failure becomes a
result, every option is checked before work starts, one option set for prove and eval, outputs
that say what happened."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmarks.results import read_results

REPO = Path(__file__).resolve().parents[2]
SUBSET = "mathd_numbertheory_239,mathd_algebra_109"  # proved by `auto.`; not proved by the portfolio
SMALL = ["--max-expansions", "2", "--num-samples", "4", "--tactic-timeout", "2", "--wall-time", "30"]


def run(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "prover_cli.main", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server(BaseHTTPRequestHandler):
    """Answers /v1/models (so the endpoint is up) and refuses every completion with HTTP 400."""

    def do_GET(self):  # noqa: N802
        body = json.dumps({"data": [{"id": "m"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"error": {"message": "model m is not loaded"}}'
        self.send_response(400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def failing_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _eval(shared_data: Path, out: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return run("eval", "--data", str(shared_data / "minif2f/coq"), "--split", "all", "--name", SUBSET, *SMALL,
               "--workers", "0", "--out", str(out), *args, **kw)


# -- 1. no infrastructure failure is ever a result ------------------------------------------------


@pytest.mark.coq
def test_eval_with_no_server_listening_stops_before_the_run_directory(shared_data, tmp_path):
    out = tmp_path / "run"
    proc = _eval(shared_data, out, "--no-portfolio", "--model", "m", "--engine", "openai",
                 "--endpoint", f"http://127.0.0.1:{free_port()}/v1")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "cannot reach the endpoint" in one_line(proc.stderr)
    assert not out.exists()


@pytest.mark.coq
def test_eval_with_an_uncached_hub_id_offline_stops_before_the_run_directory(shared_data, tmp_path):
    out = tmp_path / "run"
    proc = _eval(shared_data, out, "--model", "nobody-here/no-such-model-xyz",
                 env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")})
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "not in the local Hugging Face cache" in one_line(proc.stderr)
    assert not out.exists()


@pytest.mark.coq
def test_eval_generator_failing_during_the_run_gives_error_rows_exit_4_and_resume_retries(shared_data, tmp_path,
                                                                                        failing_endpoint):
    out = tmp_path / "run"
    args = ("--no-portfolio", "--model", "m", "--engine", "openai", "--endpoint", failing_endpoint)
    proc = _eval(shared_data, out, *args)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("0/2 proved (0.0%), 2 error(s)"), last
    rows = read_results(out / "results.jsonl")
    assert len(rows) == 2
    for row in rows:
        assert row.stop_reason == "error" and row.error.startswith("generator failed on"), row
        assert "not loaded" in row.error or "400" in row.error, row.error
    summary = (out / "summary.md").read_text()
    assert "2 error(s)" in summary.splitlines()[2], summary[:400]
    # Resume: the error rows are not results, they run again (and fail again, here).
    again = run("eval", "--resume", str(out), "--no-progress")
    assert again.returncode == 4, again.stdout + again.stderr
    assert "retrying 2 theorem(s)" in again.stderr, again.stderr
    sessions = [json.loads(line) for line in (out / "sessions.jsonl").read_text().splitlines()]
    assert sessions[-1]["theorems"] == 2  # both retried
    assert len(read_results(out / "results.jsonl")) == 2  # one line per theorem, never two


@pytest.mark.coq
def test_prove_with_a_server_that_answers_passes_the_check_and_fails_with_exit_3(failing_endpoint):
    proc = run("prove", "examples/sum_square.v", "--no-portfolio", "--model", "m", "--engine", "openai",
               "--endpoint", failing_endpoint, "--max-expansions", "2", "--no-progress")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "generator failed on every expansion" in proc.stderr
    assert "cannot reach" not in proc.stderr


def test_prove_with_no_server_listening_is_one_line_exit_3():
    proc = run("prove", "-s", "True", "--model", "m", "--engine", "openai", "--endpoint",
               f"http://127.0.0.1:{free_port()}/v1")
    assert proc.returncode == 3 and "cannot reach the endpoint" in one_line(proc.stderr)


# -- 2. every option validated before work starts --------------------------------------------------


@pytest.mark.parametrize(("args", "needle"), [
    (["--engine", "foo"], "--engine must be one of hf, vllm, openai, tiny"),
    (["--score", "foo"], "--score must be one of sum, mean"),
    (["--prompt-format", "foo"], "--prompt-format must be one of bfs-prover, coq, hol-light, internlm2-stepprover"),
    (["--model", "./no/such/dir"], "no such directory"),
    (["--wall-time", "nan"], "--wall-time must be a positive"),
    (["--tactic-timeout", "inf"], "--tactic-timeout must be a positive, finite"),
    (["--num-samples", "-1"], "--num-samples must be at least 1"),
    (["--top-p", "1.5"], "--top-p must be in (0, 1]"),
    (["--tree", "tree.txt"], "the extension must be one of .json, .graphml, .svg"),
])
def test_bad_option_values_exit_2_at_once_for_prove_and_eval(args, needle, tmp_path):
    prove = run("prove", "examples/sum_square.v", *args, timeout=60)
    assert prove.returncode == 2 and needle in one_line(prove.stderr), prove.stderr
    if args[0] == "--tree":
        return
    out = tmp_path / "run"
    ev = run("eval", "--data", str(tmp_path), "--out", str(out), *args, timeout=60)
    assert ev.returncode == 2 and needle in one_line(ev.stderr), ev.stderr
    assert not out.exists()


def test_uncached_hub_id_offline_is_exit_3_for_prove(tmp_path):
    proc = run("prove", "-s", "True", "--model", "nobody-here/no-such-model-xyz",
               env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}, timeout=60)
    assert proc.returncode == 3 and "HF_HUB_OFFLINE" in one_line(proc.stderr)


# -- 3. one option set --------------------------------------------------------------------------------


def _help(command: str) -> str:
    proc = run(command, "--help", env={"COLUMNS": "250", "TERM": "dumb"}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_prove_and_eval_share_the_model_and_budget_options():
    from prover.model_registry import ENGINES
    from prover.prompts import PROMPTS
    from prover_cli import options

    assert set(options.ENGINES) == set(ENGINES.names())
    assert set(options.PROMPT_FORMATS) == set(PROMPTS.names())
    prove, ev = _help("prove"), _help("eval")
    for flag in ("--dtype", "--top-p", "--stop", "--score", "--api-key", "--engine", "--endpoint",
                 "--num-samples", "--max-expansions", "--wall-time", "--tactic-timeout", "--verbose"):
        assert flag in prove and flag in ev, flag
    for text in (prove, ev):
        assert "hf, vllm, openai, tiny" in text
        assert "Log what the search" in text  # -v documented
    top = run("--help", timeout=60).stdout
    assert "prove-informal" not in top


def test_prove_informal_alias_says_it_is_deprecated(tmp_path):
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps({"informal_statement": "x", "informal_proof": "y"}))
    proc = run("prove-informal", "-s", "True", "--informal", str(problem), timeout=60)
    assert "deprecated" in proc.stderr and proc.returncode == 2


# -- 4. inference and outputs -----------------------------------------------------------------------


def test_backend_is_inferred_from_the_extension(tmp_path):
    thy = tmp_path / "t.thy"
    thy.write_text('theory t imports Main begin\ntheorem t: "True"\n  sorry\nend\n')
    proc = run("prove", str(thy), "--isabelle", str(tmp_path / "no-isabelle"), timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "isabelle not found" in one_line(proc.stderr) and "IsabelleConfig" not in proc.stderr


@pytest.mark.coq
def test_tree_format_follows_the_extension_and_prover_tree_draws_a_prove_tree(tmp_path):
    svg = tmp_path / "t.svg"
    # Without extra tactic libraries, the clean script is the file's header and statement exactly.
    proc = run("prove", "examples/sum_square.v", "--tree", str(svg), "--json", "--extra-imports", "none")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()
    assert payload["script"].rstrip().endswith("Qed.")
    assert "Print Assumptions" not in payload["script"]
    source = (REPO / "examples/sum_square.v").read_text()
    assert payload["script"] == source[: source.index("Theorem")].rstrip() + "\n\n" + source[source.index("Theorem"):
                                                                                        source.index("Proof.")].strip() \
        + "\nProof.\n" + "".join(f"  {t}\n" for t in payload["proof"]) + "Qed.\n"
    tree_json = tmp_path / "t.json"
    assert json.loads(tree_json.read_text())["nodes"]
    drawn = run("tree", str(tree_json), "--out", str(tmp_path / "again.svg"), timeout=120)
    assert drawn.returncode == 0, drawn.stderr
    assert (tmp_path / "again.svg").read_text().count("<svg") == 1


@pytest.mark.coq
def test_tree_picture_labels_failed_tactics_and_shows_goals_on_hover(tmp_path):
    svg = tmp_path / "u.svg"
    proc = run("prove", "examples/unprovable.v", "--max-expansions", "2", "--tree", str(svg))
    assert proc.returncode == 1, proc.stderr
    text = svg.read_text()
    titles = text.count("<title>")
    nodes = json.loads((tmp_path / "u.json").read_text())["nodes"]
    assert titles == len(nodes)  # every state (goals) and every failed tactic (its message)
    assert "<title>root: " in text and "n + 1 = n" in text  # the root's goal, on hover


@pytest.mark.coq
def test_json_on_an_error_is_still_a_json_object(tmp_path):
    bad = tmp_path / "bad.v"
    bad.write_text("Theorem t : nat_is_not_a_prop_here.\n")
    proc = run("prove", str(bad), "--json")
    assert proc.returncode == 2
    payload = json.loads(proc.stdout)
    assert payload["exit_status"] == 2 and payload["error"]


# -- 5. feedback ----------------------------------------------------------------------------------------


@pytest.mark.coq
def test_long_prove_prints_progress_on_stderr_but_not_with_json(tmp_path):
    tactics = tmp_path / "grow.txt"  # every tactic makes a new state: the search never runs out
    tactics.write_text("assert True by trivial.\nassert (1 = 1) by reflexivity.\n")
    args = ("prove", "examples/unprovable.v", "--tactics", str(tactics), "--max-expansions", "100000",
            "--wall-time", "8")
    plain = run(*args)
    assert plain.returncode == 1
    assert "expansions" in plain.stderr and plain.stderr.startswith("...")
    quiet = run(*args, "--json")
    assert quiet.stderr.strip() == "" and json.loads(quiet.stdout)["proved"] is False


@pytest.mark.coq
def test_eval_logs_one_line_per_theorem_without_a_bar_and_workers_1_skips_ray(shared_data, tmp_path):
    out = tmp_path / "run"
    proc = run("eval", "--data", str(shared_data / "minif2f/coq"), "--split", "all", "--name", SUBSET, *SMALL,
               "--workers", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "\r" not in proc.stderr and len(lines) == 2, proc.stderr
    assert lines[-1].startswith("[2/2]") and "solved 1, errors 0" in lines[-1]
    assert "ray" not in proc.stderr.lower()
    assert proc.stdout.strip().splitlines()[-1].startswith("1/2 proved (50.0%), 0 errors")
    # 6. the report: errors in the headline, how theorems ended, the solved ones with their proofs,
    # what the budget actually used, the plots; the trees stay small.
    summary = (out / "summary.md").read_text()
    assert "**Pass rate: 1/2 = 50.0%**, 0 errors" in summary
    assert "| how theorems ended | theorems |" in summary and "| proved | 1 |" in summary
    assert "## Solved (1)" in summary and "- `mathd_numbertheory_239`: `auto.`" in summary
    assert "Budget used: 2 search(es)" in summary and "candidates tried per expansion" in summary
    for png in ("solved_vs_time.png", "solved_vs_expansions.png", "proof_lengths.png", "solved_by_category.png"):
        assert (out / png).stat().st_size > 1000, png
    stored = json.loads((out / "summary.json").read_text())
    assert stored["stop_reasons"]["proved"] == 1 and stored["solved"] == {"mathd_numbertheory_239": ["auto."]}
    tree = json.loads((out / "trees" / "mathd_algebra_109.json").read_text())
    assert all("path" not in node for node in tree["nodes"])
    assert all(len(node.get("goals", "")) <= 2000 for node in tree["nodes"])
    assert all(len(edge.get("message", "")) <= 300 for edge in tree["edges"])


INFORMAL_HEADER = "Require Import Arith Lia.\n"
INFORMAL_STATEMENT = "Theorem double_gt : forall n m : nat, n = 2 * m -> m > 0 -> n > m."


@pytest.mark.coq
def test_failed_sketch_names_the_hole_and_coqs_message(tmp_path):
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps({"informal_statement": "Show n > m.", "informal_proof": "n = m + m."}))
    false_hole = tmp_path / "hole.v"
    false_hole.write_text("Proof.\n  intros n m h0 h1.\n  assert (h2 : n = m + m + 1) by admit.\n  lia.\nQed.")
    bad_step = tmp_path / "step.v"
    bad_step.write_text("Proof.\n  intros n m h0 h1.\n  rewrite no_such_lemma.\n  lia.\nQed.")
    proc = run("prove", "-s", INFORMAL_STATEMENT, "--header", INFORMAL_HEADER, "--informal", str(problem),
               "--sketch", str(false_hole), "--sketch", str(bad_step), "--max-expansions", "3", "--json")
    assert proc.returncode == 1, proc.stderr
    failures = json.loads(proc.stdout)["failures"]
    assert any("hole 1 of 1 'assert (h2 : n = m + m + 1) by admit.' not filled" in f for f in failures), failures
    assert any("no_such_lemma" in f and "was not found" in f for f in failures), failures


@pytest.mark.coq
def test_a_proof_using_a_lemma_the_file_admits_says_so(tmp_path):
    source = tmp_path / "a.v"
    source.write_text("Require Import Arith.\n\nLemma helper : forall n : nat, n * 1 = n + 0.\nAdmitted.\n\n"
                      "Theorem uses_helper : forall n : nat, n * 1 = n + 0.\nProof.\nAdmitted.\n")
    tactics = tmp_path / "t.txt"
    tactics.write_text("apply helper.\n")
    proc = run("prove", str(source), "--name", "uses_helper", "--tactics", str(tactics))
    assert proc.returncode == 1, proc.stderr
    assert "relies on helper, which the input file itself leaves Admitted" in proc.stdout
    as_json = run("prove", str(source), "--name", "uses_helper", "--tactics", str(tactics), "--json")
    assert json.loads(as_json.stdout)["relies_on_admitted"] == ["helper"]


def test_lean_file_infers_lean_and_lean_project_is_checked(tmp_path):
    source = tmp_path / "t.lean"
    source.write_text("import Mathlib\n\ntheorem t : 1 + 1 = 2 := by\n  sorry\n")
    missing = run("prove", str(source), "--lean-project", str(tmp_path / "nowhere"), timeout=60)
    assert missing.returncode == 2 and "--lean-project" in one_line(missing.stderr) and "no such directory" in missing.stderr
    project = tmp_path / "project"  # exists, but nothing is built there
    project.mkdir()
    unbuilt = run("prove", str(source), "--lean-project", str(project), "--json", timeout=120,
                  env={"PATH": "/usr/bin:/bin"})
    assert unbuilt.returncode == 3, unbuilt.stderr
    assert one_line(unbuilt.stderr).startswith("error: lean:")  # the Lean backend, from the extension
    assert json.loads(unbuilt.stdout)["exit_status"] == 3


@pytest.mark.coq
def test_a_model_failing_behind_the_portfolio_is_an_error_not_a_result(shared_data, tmp_path, failing_endpoint):
    out = tmp_path / "run"
    # 32 samples: more than the portfolio's tactics, so the model is asked on every expansion.
    # No extra tactic libraries: mathd_algebra_109 must stay unsolved by the portfolio alone.
    proc = _eval(shared_data, out, "--model", "m", "--engine", "openai", "--endpoint", failing_endpoint,
                 "--num-samples", "32", "--extra-imports", "none")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    rows = {r.name: r for r in read_results(out / "results.jsonl")}
    assert rows["mathd_numbertheory_239"].proved  # the portfolio's proof is verified: a result
    unsolved = rows["mathd_algebra_109"]
    assert unsolved.stop_reason == "error" and unsolved.error.startswith("generator failed on"), unsolved
    assert proc.stdout.strip().splitlines()[-1].startswith("1/2 proved (50.0%), 1 error(s)")
    prove = run("prove", "examples/unprovable.v", "--model", "m", "--engine", "openai", "--endpoint", failing_endpoint,
                "--max-expansions", "2", "--combine", "chain")  # the model asked in every expansion
    assert prove.returncode == 3 and "the generator failed on 2 of 2 expansion(s)" in prove.stderr, prove.stderr
