"""Isabelle/HOL backend: a client of `isabelle server`, the proof env, the tactic screen and sketches."""
