"""Worst-case time of everything that reads model text, or prover output shaped by it, before any
time limit applies.

    python -m benchmarks.perf.screen_worst_case [--size 2000] [--timeout 10] [--only coq,lean]

The screens, the sketch readers, the whole-proof extractors and the parsers of prover output run
in the search's own process, on text a model chose or made a prover print, before a proof
assistant's timeout can stop anything: a scan that is quadratic, or a regular expression that
backtracks, in any of them hangs the whole run. This
benchmark looks for such inputs systematically instead of one at a time. Each input repeats a
unit, a lexically significant fragment of one of the four languages or a pair of them
(comment and string openers, cartouches, `set_option`, blanks, fences, message tags, ...),
optionally behind one fragment as a prefix, up to `--size` characters and then twice that, once
as it is and once ended by a plain character. For each reader it prints
the slowest inputs with their times at both sizes and the ratio of the two: about 2 is linear,
about 4 quadratic. Each call runs in a worker process that is killed after `--timeout` seconds
(a backtracking regular expression cannot be interrupted from inside), and such an input is
reported as TIMEOUT. Exit status 1 when any input timed out or grew faster than `--max-ratio`
while taking more than `--min-seconds` at the larger size.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing as mp
import sys
import time
from dataclasses import dataclass
from typing import Callable

from lean_env.base import Theorem

# Fragments that open, close or change a lexical context in Coq, Lean 4, Isabelle or HOL Light
# (comments, strings, cartouches, names, fences, command words, blanks), and a few whole small
# constructs whose repetition nests or chains contexts.
FRAGMENTS = (
    "(*", "*)", "/-", "-/", "--", "\"", "\\", "'", "`", "«", "»", "‹", "›", "\\<open>", "\\<close>",
    "\\<comment>", "{", "}", "(", ")", "[", "]", ".", ";", ";;", ":=", "|", "#", "@[", "%", "$", "λ", "²",
    " ", "\n", "\t", "\r", "\u2028", "a", "0", "_", "```", "```lean\n", "```coq\n", "Proof.", "Qed.",
    "by", "in", "open", "set_option", "idtac", "sorry", "admit", "gen_", "theorem t", "Lemma t",
    "(* *) ", "/- -/ ", "\"\" ", "‹› ", "a.b.", "x y z ", "\n\n", "  \n",
    # and in prover output: message tags, prompts, goal separators, hypothesis lines
    "<infomsg>", "</infomsg>", "<warning>", "</warning>", "<prompt>", "</prompt>", "=====", " : ", "⊢", "•", "[apply]",
    "goal 2 (ID 8) is:", "Warning:", "Try this:", "case h", "\n  ", ">", "<", "> x\n",
)


@dataclass(frozen=True)
class Reader:
    name: str
    call: Callable[[str], object]


def readers() -> list[Reader]:
    """Every reader of raw model text that runs before a prover's time limit, by public entry point."""
    from lean_env.base import ProtocolError
    from lean_env.coq.output import parse_output, parse_shown_goal
    from lean_env.coq.sketch import extract_steps as coq_sketch
    from lean_env.hol_light.goals import parse_state, toplevel_errors, without_prompts
    from lean_env.isabelle.protocol import try_this
    from lean_env.lean_repl.goals import parse_goals
    from lean_env.lean_repl.protocol import Message, suggestions
    from lean_env.isabelle.sketch import extract_proof as isabelle_sketch
    from lean_env.isabelle.sketch import split_holes
    from lean_env.lean_repl.screen import MAX_PROOF_CHARS
    from lean_env.lean_repl.screen import screen_tactic as lean_screen
    from lean_env.lean_repl.sketch import extract_steps as lean_sketch
    from lean_env.registry import screen
    from prover.whole_proof import extract_coq, extract_lean

    coq = Theorem("t", "", "Theorem t : True.", "coq")
    lean = Theorem("t", "", "theorem t : True := by", "lean")
    isabelle = Theorem("t", "", 'theorem t: "True"', "isabelle")

    def quiet(function: Callable[..., object]) -> Callable[..., object]:
        """`function` with its documented refusals (an extraction that finds nothing, output that
        is not an answer) taken as answers: only other exceptions are findings."""
        def call(*args: object) -> object:
            try:
                return function(*args)
            except (ValueError, ProtocolError):
                return None
        return call

    return [
        Reader("coq screen", lambda t: screen("coq", t)),
        Reader("lean screen", lambda t: screen("lean", t)),
        Reader("lean final screen", lambda t: lean_screen(t, final=True, max_chars=MAX_PROOF_CHARS)),
        Reader("isabelle screen", lambda t: screen("isabelle", t)),
        Reader("hol-light screen", lambda t: screen("hol-light", t)),
        Reader("coq sketch", lambda t: coq_sketch(coq, t)),
        Reader("lean sketch", lambda t: lean_sketch(lean, t)),
        Reader("isabelle sketch", lambda t: (isabelle_sketch(isabelle, t), split_holes(t))),
        Reader("coq whole proof", lambda t: (quiet(extract_coq)(t, coq, False), quiet(extract_coq)(t, coq, True))),
        Reader("lean whole proof", lambda t: (quiet(extract_lean)(t, lean, False), quiet(extract_lean)(t, lean, True))),
        # Prover output, which a proof's text shapes: the text where a printed string, a message
        # or a goal the proof built lands in it.
        Reader("coq output", lambda t: [(quiet(parse_output)(a), quiet(parse_shown_goal)(a)) for a in coq_answers(t)]),
        Reader("lean goals", lambda t: (quiet(parse_goals)([t]), quiet(parse_goals)([f"s : {t}\n⊢ True"]))),
        Reader("lean messages", lambda t: [suggestions([Message(severity="info", pos={"line": 1, "column": 0}, data=d)])
                                           for d in (t, f"Try this: exact h{t}")]),
        Reader("hol-light output", lambda t: (quiet(parse_state)(t), toplevel_errors(t), without_prompts(t))),
        Reader("isabelle try this", lambda t: (try_this(t), try_this(f"Try this: by simp{t}"))),
    ]


def coq_answers(text: str) -> list[str]:
    """coqtop answers with `text` where a proof's printed text lands: alone, in a hypothesis's
    value in a goal display, after a warning and its location, inside a message."""
    return [
        text + "\n",
        f"1 goal\n  \n  s := \"{text}\" : string\n  ============================\n  True\n",
        f"<warning>w</warning>\nToplevel input, characters 0-1:\n{text}\nError: x\n",
        f"<infomsg>{text}</infomsg>\n1 goal\n  \n  ============================\n  True\n",
    ]


def text_of(prefix: str, unit: str, size: int, suffix: str = "") -> str:
    return prefix + unit * max(1, (size - len(prefix) - len(suffix)) // len(unit)) + suffix


def _worker(reader: Reader, jobs: "mp.connection.Connection") -> None:
    while True:
        text = jobs.recv()
        start = time.perf_counter()
        try:
            reader.call(text)
        except Exception:  # noqa: BLE001  an exception is a finding of its own, reported as such
            jobs.send(-1.0)
            continue
        jobs.send(time.perf_counter() - start)


class Timed:
    """One reader in a forked worker process; `time(text)` is seconds, None past the timeout, -1 on
    an exception."""

    def __init__(self, reader: Reader, timeout: float) -> None:
        self.reader, self.timeout = reader, timeout
        self._start()

    def _start(self) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.get_context("fork").Process(target=_worker, args=(self.reader, child), daemon=True)
        self.process.start()

    def time(self, text: str) -> float | None:
        self.conn.send(text)
        if self.conn.poll(self.timeout):
            return self.conn.recv()
        self.process.kill()
        self.process.join()
        self._start()
        return None

    def close(self) -> None:
        self.process.kill()


@dataclass(frozen=True)
class Row:
    prefix: str
    unit: str
    suffix: str
    small: float | None  # seconds at the smaller size; None: timed out; -1: raised
    large: float | None  # the same at twice the size
    measured: bool  # whether the larger size ran (only where the smaller was not instant)

    @property
    def timed_out(self) -> bool:
        return self.small is None or (self.measured and self.large is None)

    @property
    def raised(self) -> bool:
        return self.small == -1 or self.large == -1

    @property
    def worst(self) -> float:
        return max(t for t in (self.small, self.large) if t is not None) if self.small is not None else float("inf")


def sweep(reader: Reader, inputs: list[tuple[str, str, str]], size: int, timeout: float, floor: float,
          ratio: float = 3.0) -> list[Row]:
    """Each input timed at `size` characters and, where that took at least `floor` seconds, at twice
    that. Growth faster than `ratio` is timed twice more at both sizes (the fastest of three
    counts), so that a pause of the machine is not reported as a quadratic scan."""
    timed = Timed(reader, timeout)
    rows = []
    try:
        for prefix, unit, suffix in inputs:
            small_text, large_text = text_of(prefix, unit, size, suffix), text_of(prefix, unit, 2 * size, suffix)
            small = timed.time(small_text)
            measured = small is not None and small >= floor
            large = timed.time(large_text) if measured else None
            if measured and small and small > 0 and large is not None and large > 0 and large / small > ratio:
                for _ in range(2):
                    again_small, again_large = timed.time(small_text), timed.time(large_text)
                    small = min(small, again_small) if again_small is not None and again_small >= 0 else small
                    large = min(large, again_large) if again_large is not None and again_large >= 0 else large
            rows.append(Row(prefix, unit, suffix, small, large, measured))
    finally:
        timed.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2000, help="characters of the smaller input")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one call may take")
    parser.add_argument("--only", default="", help="comma-separated reader names (prefixes), e.g. coq,lean")
    parser.add_argument("--no-prefixes", action="store_true", help="units only, no fragment in front")
    parser.add_argument("--max-ratio", type=float, default=3.0)
    parser.add_argument("--min-seconds", type=float, default=0.04)
    parser.add_argument("--show", type=int, default=3, help="slowest inputs printed per reader")
    args = parser.parse_args()

    units = list(FRAGMENTS) + [a + b for a, b in itertools.permutations(FRAGMENTS, 2)]
    shapes = [("", u) for u in units]
    if not args.no_prefixes:
        shapes += [(p, u) for p in FRAGMENTS for u in FRAGMENTS if p != u]
    # and each run once more ended by a plain character: a scan that is quadratic in a run
    # often needs the run to end in a mismatch (blank lines, then a word)
    inputs = [(p, u, s) for p, u in shapes for s in ("", "x")]
    chosen = [r for r in readers()
              if not args.only or any(r.name.startswith(o.strip()) for o in args.only.split(","))]
    if not chosen:
        sys.exit(f"error: no reader matches --only {args.only!r}")
    print(f"{len(inputs)} inputs of {args.size} and {2 * args.size} characters per reader, timeout {args.timeout:g} s")
    findings = 0
    for reader in chosen:
        start = time.perf_counter()
        rows = sweep(reader, inputs, args.size, args.timeout, floor=args.min_seconds / 10, ratio=args.max_ratio)
        grew = [r for r in rows if r.measured and r.large is not None and r.small and r.small > 0
                and r.large > args.min_seconds and r.large / r.small > args.max_ratio]
        bad = [r for r in rows if r.timed_out or r.raised] + grew
        print(f"\n{reader.name}: {len(rows)} inputs in {time.perf_counter() - start:.0f} s; "
              f"{sum(r.timed_out for r in rows)} timed out, {sum(r.raised for r in rows)} raised, "
              f"{len(grew)} grew faster than {args.max_ratio:g}x past {args.min_seconds:g} s")
        for r in sorted((r for r in rows if not r.timed_out and not r.raised), key=lambda r: -r.worst)[: args.show]:
            large = f"{r.large * 1000:9.1f} ms  {r.large / max(r.small, 1e-9):5.1f}x" if r.measured else " " * 19
            print(f"  {r.small * 1000:9.1f} ms {large}  {r.prefix!r} + {r.unit!r} * n + {r.suffix!r}")
        for r in bad[:10]:
            kind = "timeout" if r.timed_out else "raised" if r.raised else f"{r.large / r.small:.1f}x"
            print(f"  FINDING ({kind}) {r.prefix!r} + {r.unit!r} * n + {r.suffix!r}")
        findings += len(bad)
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
