"""A toy REPL: the upstream framing and JSON shapes, with tactics that behave or misbehave.

Tactics (first word): `intro N` adds hypothesis `N : Nat`; `split` makes two cases; `close`,
`rfl`, `simp`, `norm_num` close the main goal; `skip` changes nothing; `bad` is a Lean
exception; `err` is an elaboration error; `mvar`/`kernel`/`gaveup` are rejected proof statuses;
`leave_sorry` leaves a sorry; `crash`, `hang`, `garbage`, `half`, `flood`, `uncaught`,
`alloc MB` misbehave; `heartbeat` is Lean's "maximum number of heartbeats" error; `unknown`
answers "Unknown proof state."; `once_X` misbehaves as X the first time only (needs
FAKE_REPL_STATE), then acts as `intro once`; `slow S` sleeps S seconds then acts as `intro
slow`; `slow_again A B` sleeps A seconds the first time and B on every replay (then `intro
slow`); `exact?` closes the main goal and offers "Try this: exact toy_lemma"; `grow MB` keeps
MB resident, then acts as `intro grow`; `nostatus` closes every goal with an answer that has
no proofStatus; `(a\\nb)` runs each line in turn. A command whose proof body holds `sorry` is
a sketch (SKETCH_CLOSERS below).
A parenthesised step `(a\nb)` or a `focus` block (`focus\n  a\n  b`) is parsed whole before it
runs (`iterate 0\n  focus ...` is only parsed: the goals stay; a line of it that starts with `|` is
a parse error, as no tactic of the toy takes alternatives): a line that starts with a command word (COMMAND_WORDS), or in a `focus` block a `)` with
no `(`, is a parse error. In tactic mode, `exact X`, `linarith` and an all-capitals marker
word close the main goal, `have ...` changes nothing, and a line indented past the block's
first belongs to the step above.
Verification: `pickleTo` writes an env's text to a file, `unpickleEnvFrom` reads it back as a new
env (the markers below travel with it, as a real pickle's constants do); the verifier's scope probe
(`#eval ...`) answers from the env's `import` and `open` lines (an error when the header holds
NO_META). Markers in an env's text: WRONG_TYPE (the type check fails), EXTRA_AXIOM, NO_AXIOMS,
AXIOM_PHRASE (the axioms printed), REPLAY_FAILS (unpickling fails, as a kernel rejection would).
A command holding LIAR stands for proof text that ran code in this process: from then on the
process answers every type check and `#print axioms` as clean. FORGE_IMPORTS: such code also
wrote the pickle, with other imports.
Environment: FAKE_REPL_LOG (append each request as a JSON line with the
pid), FAKE_REPL_HEADER_DELAY (seconds to "import" the header), FAKE_REPL_UNKNOWN_AT (the Nth
proof step over all processes, counted in FAKE_REPL_STATE, answers "Unknown proof state.").
"""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from framing import parse_or_die, queries, respond

OPEN = "Incomplete: open goals remain"


class Toy:
    def __init__(self) -> None:
        self.envs: list[str] = []
        self.states: list[list[str]] = []
        self.liar = False  # proof text ran code here: this process's answers are forged

    def pickle(self, req: dict) -> dict:
        env = req["env"]
        if env >= len(self.envs):
            return {"message": "Unknown environment."}
        text = self.envs[env]
        if "FORGE_IMPORTS" in text:
            text = re.sub(r"(?m)^import .*$", "import Init", text)
        Path(req["pickleTo"]).write_text(text, encoding="utf-8")
        return {"env": env}

    def unpickle(self, req: dict) -> dict:
        try:
            text = Path(req["unpickleEnvFrom"]).read_text(encoding="utf-8")
        except OSError as e:
            return {"message": f"cannot read the pickle: {e.strerror}"}
        if "REPLAY_FAILS" in text:
            return {"message": "(kernel) declaration type mismatch, 'toy_thm' has type"}
        self.envs.append(text)
        return {"env": len(self.envs) - 1}

    def probe(self, env: int) -> dict:
        """The verifier's scope probe: imports, namespace and opens of `env`."""
        text = self.envs[env]
        if "NO_META" in text:
            return {"messages": [_msg("error", "unknown constant 'Lean.Environment.allImportedModuleNames'")]}
        modules = sorted(set(re.findall(r"(?m)^import (\S+)", text)))
        opens = re.findall(r"(?m)^open (.+)$", text)
        return {"messages": [_msg("info", f"modules {modules}; namespace [anonymous]; open {opens}")]}

    def record(self, goals: list[str]) -> int:
        self.states.append(goals)
        return len(self.states) - 1

    def command(self, req: dict) -> dict:
        cmd, env = req["cmd"], req.get("env")
        if env is None:
            delay = float(os.environ.get("FAKE_REPL_HEADER_DELAY", "0"))
            if delay:
                time.sleep(delay)
        elif env >= len(self.envs):
            return {"message": "Unknown environment."}
        self.envs.append(cmd if env is None else self.envs[env] + "\n" + cmd)
        out: dict = {"env": len(self.envs) - 1}
        self.liar = self.liar or "LIAR" in cmd
        checks = cmd.startswith(("example :", "#print axioms")) or "theorem _root_._prover_check" in cmd
        if "BAD_HEADER" in cmd or "BAD_THEOREM" in cmd:
            out["messages"] = [_msg("error", "unknown identifier 'BAD'")]
        elif cmd.startswith("#eval show Lean.Elab.Command.CommandElabM"):
            out.update(self.probe(env if env is not None else len(self.envs) - 1))
        elif checks and self.liar:  # forged answers: clean whatever the proof was
            if cmd.startswith("#print axioms"):
                out["messages"] = [_msg("info", f"'{cmd.split()[-1]}' does not depend on any axioms")]
        elif cmd.startswith("#print axioms"):
            name = cmd.split()[-1]
            axioms = ["propext", "Classical.choice", "Quot.sound"]
            if "EXTRA_AXIOM" in self.envs[env]:
                axioms.append("Lean.ofReduceBool")
            text = f"'{name}' depends on axioms: [{', '.join(axioms)}]"
            if "NO_AXIOMS" in self.envs[env]:
                text = f"'{name}' does not depend on any axioms"
            if "AXIOM_PHRASE" in self.envs[env]:  # an axiom whose printed form holds the phrase
                text = f"'{name}' depends on axioms: [cheat (h : '{name}' does not depend on any axioms)]"
            out["messages"] = [_msg("info", text)]
        elif checks and "WRONG_TYPE" in self.envs[env]:
            out["messages"] = [_msg("error", "type mismatch\n  @toy_thm\nhas type\n  True : Prop")]
        elif "VERIFY_CRASH_ONCE" in cmd and _first_time("verify_crash"):
            os._exit(137)
        elif "VERIFY_HANG" in cmd:
            time.sleep(3600)
        elif "VERIFY_FAIL" in cmd:
            out["messages"] = [_msg("error", "unsolved goals")]
        elif "SORRY_WARNING" in cmd:
            out["messages"] = [_msg("warning", "declaration uses `sorry`")]
        elif _is_sketch(cmd):
            out.update(self.sketch(cmd))
        elif cmd.rstrip().endswith("by sorry"):
            goal = _root_goal(cmd)
            out["sorries"] = [{"proofState": self.record([goal]), "goal": goal,
                               "pos": {"line": 1, "column": 0}, "endPos": {"line": 1, "column": 5}}]
            out["messages"] = [_msg("warning", "declaration uses `sorry`")]
        return out

    def sketch(self, cmd: str) -> dict:
        """A whole proof with `sorry` holes, one tactic per line (see SKETCH_CLOSERS)."""
        lines = cmd.split("\n")
        start = next(i for i, line in enumerate(lines) if re.search(r":=\s*by\s*$", line))
        root = _root_goal(lines[start].rstrip() + " sorry")
        hyps, concl = root.split("\n")[:-1], root.split("\n")[-1][2:]
        sorries: list[dict] = []
        messages: list[dict] = []
        closed = False
        pending: tuple[str, str] | None = None

        def hole(goal: str, line: int, column: int) -> None:
            sorries.append({"proofState": self.record([goal]), "goal": goal, "pos": {"line": line, "column": column},
                            "endPos": {"line": line, "column": column + 5}})

        for number, text in enumerate(lines[start + 1 :], start=start + 2):
            tactic, column = text.strip(), len(text) - len(text.lstrip())
            if not tactic:
                continue
            if closed:
                messages.append(_msg("error", "no goals to be proved", line=number, column=column))
                break
            if pending:  # the line after `have h : P := by` is that have's proof
                tactic = f"have {pending[0]} : {pending[1]} := {tactic}"
                pending = None
            if re.match(r"have\s+\S+\s*:.*:=\s*by$", tactic):
                pending = re.match(r"have\s+(\S+)\s*:\s*(.+?)\s*:=\s*by$", tactic).groups()
                continue
            have = re.match(r"(?:have|obtain)\s+(\S+)\s*:\s*(.+?)\s*:=\s*(?:by\s+)?(\S.*)$", tactic)
            if have:
                name, prop, proof = have.groups()
                if proof == "sorry":
                    hole("\n".join(hyps + [f"⊢ {prop}"]), number, text.rindex("sorry"))
                elif proof.split()[0] not in SKETCH_CLOSERS:
                    messages.append(_msg("error", f"unknown tactic '{proof}'", line=number, column=column))
                    break
                hyps.append(f"{name} : {prop}")
            elif tactic == "sorry":
                hole("\n".join(hyps + [f"⊢ {concl}"]), number, column)
                closed = True
            elif tactic == "skip":
                continue
            elif tactic.split()[0] == "intro":
                hyps.append(f"{tactic.split()[1] if len(tactic.split()) > 1 else 'a✝'} : ℕ")
            elif tactic.split()[0] in SKETCH_CLOSERS:
                closed = True
            else:
                messages.append(_msg("error", f"unknown tactic '{tactic}'", line=number, column=column))
                break
        if not closed and not messages:
            goal = "\n".join(hyps + [f"⊢ {concl}"])
            messages.append(_msg("error", f"unsolved goals\n{goal}", line=start + 1, column=lines[start].rindex("by")))
        if sorries:
            messages.append(_msg("warning", "declaration uses `sorry`", line=start + 1, column=8))
        return {"sorries": sorries, "messages": messages}

    def tactic(self, req: dict) -> dict | None:
        n = req["proofState"]
        if n >= len(self.states) or _nth_step_is_unknown():
            return {"message": "Unknown proof state."}
        goals = list(self.states[n])
        text = req["tactic"]
        probe = "iterate 0\n"
        read_only = text.startswith(probe + "  focus\n")  # parsed whole, never run
        if read_only:
            text = textwrap.dedent(text[len(probe):])
            if any(line.lstrip().startswith("|") for line in text.split("\n")[1:]):
                return {"message": "<input>:1:0: unexpected token '|'; expected end of input"}
        if text.startswith("focus\n"):
            depth = 0
            for ch in text:  # no bracket of ours for a stray `)` to close
                depth += {"(": 1, ")": -1}.get(ch, 0)
                if depth < 0:
                    return {"message": "<input>:1:0: unexpected token ')'; expected end of input"}
            steps = text.split("\n")[1:]
        else:
            steps = text[1:-1].split("\n") if text.startswith("(") and text.endswith(")") else [text]
        steps = [step for step in steps if step.strip()]
        base = min((len(step) - len(step.lstrip()) for step in steps), default=0)
        # a line indented past the block's is part of the step above (a `have`'s own proof)
        steps = [step.strip() for step in steps if len(step) - len(step.lstrip()) == base]
        for number, step in enumerate(steps, 1):  # parsed whole before anything runs
            if step.split()[0] in COMMAND_WORDS:
                return {"message": f"<input>:{number}:0: unexpected token '{step.split()[0]}'; expected ')'"}
        if read_only:
            return {"proofState": self.record(goals), "goals": goals, "proofStatus": OPEN}
        extra: dict = {}
        for step in steps:
            result = self.apply(goals, step)
            if isinstance(result, dict):
                return result
            goals, extra = result
        out = {"proofState": self.record(goals), "goals": goals, **extra}
        out.setdefault("proofStatus", OPEN if goals else "Completed")
        if out["proofStatus"] is None:
            del out["proofStatus"]
        return out

    def apply(self, goals: list[str], tactic: str):
        word, _, arg = tactic.partition(" ")
        if word.startswith("once_"):
            if _first_time(word):
                kind = re.match(r"[a-z]+", word[5:]).group(0)  # once_crash7: crash
                if kind in ANSWERS:
                    return ANSWERS[kind]
                misbehave(kind, arg)
            word, arg = "intro", "once"
        if word == "slow":
            time.sleep(float(arg))
            word, arg = "intro", "slow"
        if word == "slow_again":
            first, again = arg.split()
            time.sleep(float(first) if _first_time(f"slow_again_{first}_{again}") else float(again))
            word, arg = "intro", "slow"
        if word in ANSWERS:
            return ANSWERS[word]
        if word == "grow":  # keeps `arg` MiB resident for the life of the process
            _HELD.append(b"\x01" * (int(arg) << 20))
            word, arg = "intro", "grow"
        if word == "exact?" and goals:
            # `exact? spoof`: the tactic itself prints the suggestion (as `trace` can), a refused text
            offer = "iterate 1sorry" if arg == "spoof" else "exact toy_lemma"
            return goals[1:], {"messages": [_msg("info", f"Try this:\n  [apply] {offer}", line=0)]}
        if word == "nostatus":
            return [], {"proofStatus": None}
        if word in MISBEHAVIOURS:
            misbehave(word, arg)
        if not goals and word != "skip":
            return {"message": "Lean error:\nno goals to be proved"}
        if word == "intro":
            head, _, concl = goals[0].rpartition("⊢ ")
            return [f"{head}{arg} : Nat\n⊢ {concl}"] + goals[1:], {}
        if word == "split":
            return [f"case left\n{goals[0]}", f"case right\n{goals[0]}"] + goals[1:], {}
        if word in ("close", "rfl", "simp", "norm_num", "exact", "linarith") or word.isupper():  # exact X, MARKER
            return goals[1:], {}
        if word == "have":  # its proof is on the lines below (skipped); the goal stays
            return goals, {}
        if word == "skip":
            return goals, {}
        if word == "err":
            return {"proofState": self.record([]), "goals": [], "proofStatus": "Incomplete: contains sorry",
                    "messages": [_msg("error", "Unknown identifier `my_fake_premise`", line=0)]}
        if word == "mvar":
            return [], {"proofStatus": "Incomplete: contains metavariable(s)"}
        if word == "kernel":
            return [], {"proofStatus": "Error: kernel type check failed: (kernel) declaration has free variables"}
        if word == "gaveup":
            return [], {"proofStatus": "Incomplete: contains sorry"}
        if word == "leave_sorry":
            return goals, {"sorries": [{"proofState": self.record([goals[0]]), "goal": goals[0]}]}
        return {"message": "Lean error:\n<input>:1:1: unknown tactic"}


# Sketch mode (a command whose proof body has a line containing `sorry`): one tactic per line;
# `have h : P := by sorry` (or `:= sorry`) is a hole with the goal P in the context so far, then adds
# `h : P`; `have h : P := by <closer>` (also with the proof on the next line) adds `h : P`; `intro [x]` adds `x : ℕ` (`a✝ : ℕ` without a
# name); a bare `sorry` is a hole on the main goal and closes it, as do the closers; any other line is
# an error at its position, and a main goal left open is `unsolved goals` at the statement's `by`.
# A step starting with one of these does not parse as a tactic (it would end a command's `by`
# block and start a command).
COMMAND_WORDS = {"def", "theorem", "set_premise_selector", "#eval", "builtin_simproc_decl"}
SKETCH_CLOSERS = {"linarith", "nlinarith", "simp", "norm_num", "omega", "rfl", "exact", "close", "positivity"}

_HELD: list[bytes] = []
ANSWERS = {
    "heartbeat": {"message": "Lean error:\n(deterministic) timeout at `whnf`, maximum number of heartbeats "
                  "(200000) has been reached\nUse `set_option maxHeartbeats <num>` to set the limit."},
    "unknown": {"message": "Unknown proof state."},
}


def _first_time(what: str) -> bool:
    """True once per FAKE_REPL_STATE directory (a marker file survives the process)."""
    marker = Path(os.environ["FAKE_REPL_STATE"]) / what
    if marker.exists():
        return False
    marker.touch()
    return True


def _nth_step_is_unknown() -> bool:
    at = os.environ.get("FAKE_REPL_UNKNOWN_AT")
    if not at:
        return False
    counter = Path(os.environ["FAKE_REPL_STATE"]) / "steps"
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    return n == int(at)


MISBEHAVIOURS = {"crash", "hang", "garbage", "half", "flood", "uncaught", "alloc"}


def misbehave(word: str, arg: str) -> None:
    out = sys.stdout
    if word == "crash":  # dies in the middle of writing a response
        out.write('{"proofStatus": "Incomplete: open goals remain",\n "proofState": 7,\n')
        out.flush()
        os._exit(139)
    if word == "hang":
        time.sleep(3600)
    if word == "garbage":
        out.write("PANIC at Lean.Expr.bindingBody! not a binder\n\n")
        out.flush()
        return_to_loop()
    if word == "half":
        out.write('{"proofStatus": "Incomplete: open goals remain",\n "goals"')
        out.flush()
        os._exit(0)
    if word == "flood":  # megabytes without a blank line, until the reader gives up
        line = ("x" * 1023 + "\n").encode()
        try:
            while True:
                os.write(1, line * 1024)
        except OSError:
            os._exit(1)
    if word == "uncaught":
        sys.stderr.write("uncaught exception: Stack overflow detected. Aborting.\n")
        sys.stderr.flush()
        os._exit(134)
    if word == "alloc":  # under RLIMIT_AS this raises MemoryError and the process dies
        blob = bytearray(int(arg) << 20)
        blob[-1] = 1


class _BackToLoop(Exception):
    pass


def return_to_loop() -> None:
    raise _BackToLoop


def _msg(severity: str, data: str, line: int = 1, column: int = 0) -> dict:
    return {"severity": severity, "pos": {"line": line, "column": column},
            "endPos": {"line": line, "column": column}, "data": data}


def _is_sketch(cmd: str) -> bool:
    """A theorem followed by a proof body some line of which holds `sorry` (never a search's root
    command, `theorem … := by sorry` on one line, nor a proof sent to the verifier, which is screened)."""
    lines = cmd.split("\n")
    starts = [i for i, line in enumerate(lines) if re.search(r":=\s*by\s*$", line)]
    return bool(starts) and any(re.search(r"\bsorry\b", line) for line in lines[starts[0] + 1 :])


def _root_goal(cmd: str) -> str:
    stmt = cmd.strip().splitlines()[-1] if "set_option" in cmd else cmd.strip()
    hyps = [f"{names.strip()} : {typ.strip()}" for names, typ in re.findall(r"\(([^():]+):([^()]+)\)", stmt)]
    concl = re.sub(r"\s*:=\s*by sorry\s*$", "", stmt)
    concl = re.split(r"\)\s*:\s*|^\S+\s+\S+\s*:\s*", concl)[-1]
    return "\n".join(hyps + [f"⊢ {concl.strip()}"])


# Identifies this process in the log. Not the pid alone: in the sandbox's own pid namespace every
# REPL process may have the same small pid.
PROCESS = f"{os.getpid()}-{os.urandom(4).hex()}"


def main() -> None:
    toy = Toy()
    log = os.environ.get("FAKE_REPL_LOG")
    for query in queries():
        req = parse_or_die(query)
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"pid": PROCESS, **req}, ensure_ascii=False) + "\n")
        try:
            if "tactic" in req:
                respond(toy.tactic(req))
            elif "pickleTo" in req:
                respond(toy.pickle(req))
            elif "unpickleEnvFrom" in req:
                respond(toy.unpickle(req))
            elif "cmd" in req:
                respond(toy.command(req))
            else:
                respond({"message": "unsupported by the toy REPL"})
        except _BackToLoop:
            continue


if __name__ == "__main__":
    main()
