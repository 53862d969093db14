"""Lean 4 backend over leanprover-community/repl: `env.LeanEnv`, `config.LeanConfig`,
`screen.screen_tactic`, `setup.setup_lean`. Import the modules themselves; this package
imports nothing so that the tactic screen stays cheap to load."""
