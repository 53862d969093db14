Require Import Arith.

Theorem not_true : forall n : nat, n + 1 = n.
Proof.
Admitted.
