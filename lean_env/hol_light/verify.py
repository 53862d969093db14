"""Independent check of a HOL Light proof, in a child of a zygote that never saw untrusted text.

The zygote only ever ran HOL Light, its libraries and the driver, which bound `prove`, `axioms`,
`concl`, `hyp`, `aconv` and the term parser to its own names before any child existed. A fresh
child then

1. parses the statement, from the theorem as given (never from the search), before anything else;
2. evaluates the screened steps (the grammar admits no definitions, so no later text can rebind
   what the check calls) and runs the captured `prove` on the statement with them, each step on
   the first open goal as the search ran them;
3. requires the theorem to have no hypotheses, a conclusion alpha-equivalent to the statement,
   and the axioms the zygote started with, unchanged.

The verdict travels on its own FIFO, written by the driver alone and prefixed by the child's
nonce; whatever the proof prints on the toplevel's output cannot count as a verdict.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from lean_env.base import EnvError, Theorem, Verification
from lean_env.hol_light.goals import toplevel_errors
from lean_env.hol_light.screen import ScreenError, ocaml_string, render
from lean_env.hol_light.statements import proof_text
from lean_env.hol_light.zygote import Zygote, unhex


def verify(zygote: Zygote, theorem: Theorem, proof: Sequence[str], timeout: float, grace: float = 1.0) -> Verification:
    start = time.monotonic()
    script = proof_text(theorem, proof)

    def result(ok: bool, message: str) -> Verification:
        axioms = zygote.axioms if ok else ()
        return Verification(ok, message, script, axioms, time.monotonic() - start)

    if not proof:
        return result(False, "empty proof")
    try:
        steps = [render(step) for step in proof]
        goal = ocaml_string(theorem.statement)
    except ScreenError as exc:
        return result(False, f"script rejected: {exc}")
    if "`" in theorem.statement:
        return result(False, "the statement must be a term without backquotes")
    try:
        child = zygote.fork()
    except EnvError as exc:
        return result(False, f"no verifier process: {exc}")
    try:
        try:
            child.request([f"prover_set_goal {goal};;"], 60.0)
            ms = max(1, int(timeout * 1000))
            output = child.request(
                [f"prover_arm {ms};;", "prover_verify [" + "; ".join(f"({s})" for s in steps) + "];;"],
                timeout + grace,
            ).decode(errors="replace")
        except EnvError as exc:
            return result(False, f"the proof did not finish: {exc}")
        verdict = child.read_verdict(2.0)
    finally:
        child.kill()
    if verdict is None:
        return result(False, f"no verdict: {toplevel_errors(output) or 'the steps did not evaluate'}")
    nonce, _, rest = verdict.partition(" ")
    if nonce != child.nonce:
        return result(False, "a verdict without the child's nonce")
    if rest == "OK":
        return result(True, "")
    kind, _, detail = rest.partition(" ")
    if kind == "FAIL":
        try:
            return result(False, unhex(detail) if detail else "the proof failed")
        except ValueError:
            return result(False, f"unreadable failure {detail[:80]!r}")
    return result(False, f"unreadable verdict {rest[:80]!r}")
