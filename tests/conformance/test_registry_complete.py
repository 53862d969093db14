"""Every registered proof assistant has a conformance subject (or a stated reason why not)."""

from __future__ import annotations

from lean_env.registry import ASSISTANTS, assistant
from tests.conformance.subjects import CAPABILITIES, NOT_CONFORMANCE_TESTED, SUBJECTS, all_subjects


def test_every_registered_assistant_has_a_subject() -> None:
    missing = set(ASSISTANTS.names()) - set(SUBJECTS) - set(NOT_CONFORMANCE_TESTED)
    assert not missing, f"add tests/conformance/subjects/<name>.py for {sorted(missing)}"
    assert all(reason.strip() for reason in NOT_CONFORMANCE_TESTED.values())
    assert not set(NOT_CONFORMANCE_TESTED) & set(SUBJECTS)


def test_subjects_name_registered_assistants_and_screens() -> None:
    for subject in all_subjects():
        if subject.test_only is None:
            assert subject.name in ASSISTANTS and assistant(subject.name).name == subject.name, subject.name
        else:  # registered only while the kit runs: never in the product's registry
            assert subject.name not in ASSISTANTS, subject.name
        assert set(subject.unsupported) <= CAPABILITIES
        assert all(why.strip() for why in subject.unsupported.values()), subject.name


def test_every_descriptor_is_complete() -> None:
    """Each registered descriptor names itself, gives its env class and a screen usable without a
    process, and claims file suffixes no other assistant claims."""
    claimed: dict[str, str] = {}
    for name in ASSISTANTS.names():
        chosen = assistant(name)
        assert chosen.name == name and chosen.title and chosen.install_hint, name
        assert isinstance(chosen.env_class(), type), name
        assert chosen.screen("   ") is not None, f"{name}: the screen lets an empty text through"
        for suffix in chosen.suffixes:
            assert suffix not in claimed, f"{suffix} claimed by {claimed[suffix]} and {name}"
            claimed[suffix] = name
