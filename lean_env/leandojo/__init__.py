"""Lean 4 through LeanDojo's `Dojo` (the optional `lean-dojo` package), for traced repositories."""
