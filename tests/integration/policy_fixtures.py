"""Coq texts shared by the policy tests: a traced lemma and a theorem only its tactics prove."""

REV_LEN_DEV = """Require Import List.
Lemma rev_len : forall l : list nat, length (rev l) = length l.
Proof.
  intros l.
  rewrite rev_length.
  reflexivity.
Qed.
"""

# Not provable by the portfolio: it needs the library lemma the traced proof rewrites with.
REV_LEN_TARGET_STATEMENT = "Theorem rev_len_bool : forall m : list bool, length (rev m) = length m."
