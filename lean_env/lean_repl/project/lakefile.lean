import Lake
open Lake DSL

-- The Lean project the prover runs in, shipped inside the Python package and built by
-- `prover setup lean` in a cache workspace (~/.cache/prover/lean by default). Mathlib and the
-- REPL are pinned to what miniF2F-lean4 targets (Lean and Mathlib v4.24.0); lake-manifest.json
-- pins them and every dependency by commit (Mathlib f897ebcf72cd16f89ab4577d0c826cd14afaafc7,
-- the same as miniF2F-lean4's own manifest; REPL tag v4.24.0 = 8fff8552292860d349b459d6a811e6915671dc0d).
-- The REPL has one tag per Lean release and must be built with exactly this toolchain.
package «prover» where

require mathlib from git
  "https://github.com/leanprover-community/mathlib4" @ "v4.24.0"

require REPL from git
  "https://github.com/leanprover-community/repl" @ "v4.24.0"
