"""Coq 8.16 through a long-lived `coqtop -emacs` process; verification with `coqc`."""
