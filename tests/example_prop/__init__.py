"""The bridge to the toy propositional assistant (tests/fakes/prop_assistant.py).

This folder is what `lean_env/prop/` would be for a real assistant; it lives under tests/ because
the assistant is a test fake, and it is registered only while the conformance kit runs. See
docs/adding-a-proof-assistant.md.
"""
