"""The `prover` command line: a thin layer over lean_env, prover, search and benchmarks."""
