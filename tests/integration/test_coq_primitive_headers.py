"""Headers that import the primitive integers: the axiom audit compares the primitives a proof
relies on with the header's by identity, so the two sessions' names for them (`int` where
Uint63 is imported, `PrimInt63.int` where it is only required) do not refuse honest proofs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lean_env.coq.files import theorem_from_text
from lean_env.coq.verify import _header_axioms, _header_identities

pytestmark = pytest.mark.coq

REPO = Path(__file__).resolve().parents[2]
UINT63 = "From Coq Require Import Uint63.\n"


@pytest.mark.parametrize(
    "header, statement, script",
    [
        (UINT63, "Theorem t : (2 + 3 = 5)%uint63.", ["reflexivity."]),
        ("Require Import Uint63.\n", "Theorem t : forall x y : int, (x + y = y + x)%uint63.", ["intros.", "apply add_comm."]),
        ("From Coq Require Import Sint63.\n", "Theorem t : (2 - 3 = -1)%sint63.", ["reflexivity."]),
        ("From Coq Require Import Uint63 ZArith.\n", "Theorem t : Uint63.to_Z (2 * 3)%uint63 = 6%Z.", ["cbv.", "reflexivity."]),
    ],
)
def test_honest_primitive_integer_proofs_verify_under_headers_that_import_them(coq_env, header, statement, script):
    verdict = coq_env.verify(theorem_from_text(header + statement + "\n"), script)
    assert verdict.ok, verdict.message
    assert "PrimInt63.int" in verdict.axioms or any(a.startswith("PrimInt63.") for a in verdict.axioms)


def test_prover_verify_accepts_a_file_whose_header_imports_uint63(tmp_path):
    path = tmp_path / "u.v"
    path.write_text(UINT63 + "\nTheorem t : (2 + 3 = 5)%uint63.\nProof.\n  reflexivity.\nQed.\n")
    out = subprocess.run([sys.executable, "-m", "prover_cli.main", "verify", str(path)], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[-1] == "1/1 proofs verified"


def test_an_identity_is_the_constant_not_its_name_nor_its_printed_type(coq_env):
    config, scratch = coq_env.config, coq_env._scratch
    names = ["add", "PrimInt63.add", "Coq.Numbers.Cyclic.Int63.PrimInt63.add", "PrimInt63.int", "no_such_name", "nat"]
    real = _header_identities(names, UINT63, config, scratch)
    ids = {name: real.get((UINT63, name)) for name in names}
    assert ids["add"] == ids["PrimInt63.add"] == ids["Coq.Numbers.Cyclic.Int63.PrimInt63.add"]
    assert ids["add"].startswith(".Coq.Numbers.Cyclic.Int63.PrimInt63.add : (prod ")
    assert ids["PrimInt63.int"] == ".Coq.Numbers.Cyclic.Int63.PrimInt63.int : (sort Set)"
    assert ids["no_such_name"] is None and ids["nat"] is None  # not a constant
    # A header's own axiom of that name prints the same type, but it is another constant.
    forged = UINT63 + "Module M. Axiom add : int -> int -> int. End M. Import M.\n"
    assert _header_axioms(["add"], forged, config, scratch)[(forged, "add")] == \
        _header_axioms(["add"], UINT63, config, scratch)[(UINT63, "add")]
    other = _header_identities(["add"], forged, config, scratch)[(forged, "add")]
    assert other != ids["add"] and other.split(" : ")[1] == ids["add"].split(" : ")[1]
