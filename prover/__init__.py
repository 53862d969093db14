"""Tactic generators: automation portfolios, user tactic lists and language models."""
