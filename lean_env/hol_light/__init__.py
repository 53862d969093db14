"""HOL Light through a zygote: one loaded toplevel, a forked child per theorem (see zygote.py)."""
