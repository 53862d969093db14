"""Proof-assistant bridges (Coq, Lean 4, Isabelle) behind one `ProofEnv` protocol."""
