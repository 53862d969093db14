import Lake
open Lake DSL

-- The Lean project the prover runs in: Mathlib and the REPL pinned to the versions the staged
-- miniF2F data targets (shared/data/minif2f/lean4/README.md: Lean and Mathlib v4.24.0, Mathlib
-- rev f897ebcf72cd16f89ab4577d0c826cd14afaafc7). The REPL has one tag per Lean release and must
-- be built with exactly this toolchain. `prover setup lean` runs `lake exe cache get` and
-- `lake build REPL/repl`; the binary lands in .lake/packages/REPL/.lake/build/bin/repl.
package «prover» where

require mathlib from git
  "https://github.com/leanprover-community/mathlib4" @ "v4.24.0"

require REPL from git
  "https://github.com/leanprover-community/repl" @ "v4.24.0"
