"""miniF2F-hollight as a dataset, the HOL Light prompt format and the descriptor (no HOL Light needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.datasets import load_dataset
from lean_env.base import BadTheorem, ProofState, Theorem
from lean_env.registry import assistant, assistant_for_file
from prover.prompts import format_for, get_format


def test_the_staged_hollight_split_loads_with_underscore_names(shared_data: Path) -> None:
    ds = load_dataset("minif2f-hollight", data_root=shared_data)
    assert ds.backend == "hol-light" and ds.commit == "4e433ff5cadff23f9911a2bb5bbab2d351ce5554"
    valid, test = ds.select("valid"), ds.select("test")
    assert len(valid) == 163 and len(test) == 163
    assert all("-" not in p.name and "`" not in p.theorem.statement for p in ds.problems)
    by_name = {p.name: p for p in ds.problems}
    # The two upstream files that repeat their `let name =` are read all the same.
    assert by_name["amc12_2000_p1"].theorem.statement.startswith("!i m n.")
    assert by_name["mathd_algebra_10"].category == "mathd_algebra"
    # Names line up with the Coq and Lean datasets, so informal statements are found for most.
    assert sum(1 for p in ds.problems if p.informal_statement) > 300
    coq = {p.name for p in load_dataset("minif2f-coq", data_root=shared_data).problems}
    assert len({p.name for p in ds.problems} & coq) > 300


def test_descriptor_reads_files_and_statements(tmp_path: Path) -> None:
    hol = assistant("hol-light")
    assert hol.default_dataset == "minif2f-hollight" and "libnum-ocaml-dev" in hol.install_hint
    assert assistant_for_file(Path("x.ml")) == "hol-light"
    thm = hol.theorem_from_text("let imo-1959-p1 = `!n. ~(n = 0) ==> n = n`;;")
    assert thm == Theorem("imo_1959_p1", "", "!n. ~(n = 0) ==> n = n", "hol-light")
    assert hol.theorem_from_statement("`1 + 1 = 2`").statement == "1 + 1 = 2"
    for bad in ("", "`a` ` b`"):
        with pytest.raises(BadTheorem):
            hol.theorem_from_statement(bad)
    assert hol.proof_text(thm, ["GEN_TAC", "ARITH_TAC"]).splitlines()[1:3] == ["e(GEN_TAC);;", "e(ARITH_TAC);;"]
    assert hol.screen("CHEAT_TAC") and hol.screen("ARITH_TAC") is None


def test_the_hol_light_prompt_format_is_the_default_for_base_models() -> None:
    assert format_for("some/base-model", "hol-light") == "hol-light"
    fmt = get_format(None, "some/base-model", "hol-light")
    state = ProofState("t", (), (), "  0 [`&0 < x`]\n\n`&0 < x + &1`")
    prompt = fmt.render(Theorem("t", "", "x", "hol-light"), state)
    assert prompt.endswith("Tactic state:\n---\n  0 [`&0 < x`]\n\n`&0 < x + &1`\n---\nNext tactic:\n---\n")
    assert "ARITH_TAC" in prompt and fmt.extract(" REAL_ARITH_TAC\n---\nmore") == "REAL_ARITH_TAC"


def test_a_missing_installation_is_one_setup_line(tmp_path: Path) -> None:
    from lean_env.base import SetupError
    from lean_env.hol_light.zygote import check_installed

    with pytest.raises(SetupError, match="apt-get install -y hol-light libnum-ocaml-dev"):
        check_installed(str(tmp_path))
