"""Every registered proof assistant has a conformance subject (or a stated reason why not)."""

from __future__ import annotations

from lean_env.registry import ENVIRONMENTS, SCREENS
from tests.conformance.subjects import CAPABILITIES, NOT_CONFORMANCE_TESTED, SUBJECTS, all_subjects


def test_every_registered_assistant_has_a_subject() -> None:
    missing = set(ENVIRONMENTS.names()) - set(SUBJECTS) - set(NOT_CONFORMANCE_TESTED)
    assert not missing, f"add tests/conformance/subjects/<name>.py for {sorted(missing)}"
    assert all(reason.strip() for reason in NOT_CONFORMANCE_TESTED.values())
    assert not set(NOT_CONFORMANCE_TESTED) & set(SUBJECTS)


def test_subjects_name_registered_assistants_and_screens() -> None:
    assert set(SCREENS.names()) == set(ENVIRONMENTS.names())
    for subject in all_subjects():
        if subject.test_only is None:
            assert subject.name in ENVIRONMENTS and subject.name in SCREENS, subject.name
        else:  # registered only while the kit runs: never in the product's registry
            assert subject.name not in ENVIRONMENTS, subject.name
        assert set(subject.unsupported) <= CAPABILITIES
        assert all(why.strip() for why in subject.unsupported.values()), subject.name
