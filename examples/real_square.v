Require Import Reals Psatz.
Open Scope R_scope.

Theorem real_square_nonneg : forall x y : R, x * x + y * y >= 2 * x * y.
Proof.
Admitted.
