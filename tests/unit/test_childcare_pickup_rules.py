"""The rules of a safe pickup, case by case: the security code, the check-out decision table
and the late-pickup thresholds."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from backend.childcare import checkout_rules
from backend.childcare.checkout_rules import Verdict, decide_checkout

LOOK_ALIKES = set("0O1IL2Z5S6G8BDQ")


def test_codes_have_no_look_alikes_and_vary() -> None:
    codes = [checkout_rules.new_security_code() for _ in range(2000)]
    assert all(len(c) == checkout_rules.CODE_LENGTH for c in codes)
    assert not set("".join(codes)) & LOOK_ALIKES
    assert set("".join(codes)) == set(checkout_rules.CODE_ALPHABET)
    # 194,481 codes: 2,000 draws repeat a handful at most.
    assert max(Counter(codes).values()) <= 3
    assert len(set(codes)) > 1950


@pytest.mark.parametrize(("raw", "normalized"), [("ac-ef", "ACEF"), (" a c e f ", "ACEF")])
def test_codes_are_compared_as_issued(raw: str, normalized: str) -> None:
    assert checkout_rules.normalize_code(raw) == normalized


def _decide(**facts: bool) -> Verdict:
    base = dict.fromkeys(
        (
            "code_given",
            "code_matches",
            "pickup_named",
            "pickup_found",
            "pickup_blocked",
            "id_given",
            "id_matches",
        ),
        False,
    )
    return decide_checkout(**{**base, **facts})


@pytest.mark.parametrize(
    ("facts", "verdict"),
    [
        ({"code_given": True, "code_matches": True}, Verdict.BY_CODE),
        ({"code_given": True}, Verdict.WRONG_CODE),
        (
            {"pickup_named": True, "pickup_found": True, "id_given": True, "id_matches": True},
            Verdict.BY_TRUSTED_ID,
        ),
        ({"pickup_named": True, "pickup_found": True, "id_given": True}, Verdict.WRONG_ID),
        ({"pickup_named": True, "pickup_found": True}, Verdict.WRONG_ID),
        ({"pickup_named": True}, Verdict.UNKNOWN_PICKUP),
        ({}, Verdict.NO_PROOF),
        # A trusted person who brings a wrong code is refused for the code.
        (
            {"code_given": True, "pickup_named": True, "pickup_found": True, "id_given": True,
             "id_matches": True},
            Verdict.WRONG_CODE,
        ),
    ],
)  # fmt: skip
def test_decision_table(facts: dict[str, bool], verdict: Verdict) -> None:
    assert _decide(**facts) is verdict


def test_a_blocked_person_is_refused_whatever_they_bring() -> None:
    for code_given, code_matches, id_given, id_matches in product((False, True), repeat=4):
        verdict = _decide(
            code_given=code_given,
            code_matches=code_matches,
            pickup_named=True,
            pickup_found=True,
            pickup_blocked=True,
            id_given=id_given,
            id_matches=id_matches,
        )
        assert verdict is Verdict.BLOCKED
        assert not verdict.allowed


def test_only_a_matching_proof_allows() -> None:
    for values in product((False, True), repeat=7):
        facts = dict(
            zip(
                ("code_given", "code_matches", "pickup_named", "pickup_found", "pickup_blocked",
                 "id_given", "id_matches"),
                values,
                strict=True,
            )
        )  # fmt: skip
        verdict = _decide(**facts)
        if verdict.allowed:
            assert not facts["pickup_blocked"] or not facts["pickup_named"]
            assert (facts["code_given"] and facts["code_matches"]) or (
                facts["pickup_found"] and facts["id_given"] and facts["id_matches"]
            )


ENDS = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("minutes", "stages"),
    [
        (-60, ()),
        (0, ()),
        (14, ()),
        (15, ("guardians",)),
        (29, ("guardians",)),
        (30, ("guardians", "teachers")),
        (240, ("guardians", "teachers")),
    ],
)
def test_late_pickup_stages(minutes: int, stages: tuple[str, ...]) -> None:
    assert checkout_rules.due_stages(ENDS, ENDS + timedelta(minutes=minutes)) == stages


def test_a_late_pickup_for_the_records() -> None:
    now = ENDS + timedelta(hours=2)
    assert not checkout_rules.is_late(ENDS, ENDS + timedelta(minutes=15), now)
    assert checkout_rules.is_late(ENDS, ENDS + timedelta(minutes=16), now)
    assert checkout_rules.is_late(ENDS, None, now)
    assert not checkout_rules.is_late(ENDS, None, ENDS + timedelta(minutes=10))
