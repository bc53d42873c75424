"""The patterns the OpenAPI document states match exactly what the services accept."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.core.errors import AppError
from backend.identity.members import _notes
from backend.identity.service import clean_text, normalize_phone
from backend.identity.verification import clean_real_name
from schemas import patterns

EXAMPLES = settings(max_examples=300, deadline=None)


def _accepts(rule: object, text: str) -> bool:
    try:
        rule(text)  # type: ignore[operator]
    except AppError:
        return False
    return True


def _name(text: str) -> str:
    return clean_text(text, field="name", max_length=50)


# The pattern's language with at most two separators in a row: drawn from the whole pattern,
# nearly every string has a long run somewhere and is longer than PHONE_MAX_LENGTH, so the
# filter threw away most of them (2-3 minutes for 300 phones; about a tenth of that now).
_PHONE_FEW_SEPARATORS = patterns.PHONE.replace(
    patterns._SEP, patterns._SEP.removesuffix("*") + "{0,2}"
)


@EXAMPLES
@given(st.from_regex(_PHONE_FEW_SEPARATORS).filter(lambda t: len(t) <= patterns.PHONE_MAX_LENGTH))
def test_every_phone_the_pattern_admits_is_accepted(text: str) -> None:
    assert patterns.matches(patterns.PHONE, text)
    assert _accepts(normalize_phone, text)


@EXAMPLES
@given(st.text(alphabet="0123456789+86 ()-\t\u3000x１", max_size=20))
def test_the_phone_pattern_and_the_normaliser_agree(text: str) -> None:
    assert patterns.matches(patterns.PHONE, text) == _accepts(normalize_phone, text)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("13812345678", True),
        ("+86 138-1234-5678", True),
        ("86 (138) 1234 5678", True),
        ("\u3000138 1234 5678\n", True),
        ("12812345678", False),
        ("1381234567", False),
        ("+8613812345678 x", False),
        ("１３８１２３４５６７８", False),
        ("", False),
    ],
)
def test_phones(text: str, valid: bool) -> None:
    assert patterns.matches(patterns.PHONE, text) is valid
    assert _accepts(normalize_phone, text) is valid


@EXAMPLES
@given(st.from_regex(patterns.SINGLE_LINE_TEXT).filter(lambda t: len(t) <= 50))
def test_every_name_the_pattern_admits_is_accepted(text: str) -> None:
    assert _accepts(_name, text)


@EXAMPLES
@given(st.text(max_size=12))
def test_the_name_pattern_and_clean_text_agree(text: str) -> None:
    assert patterns.matches(patterns.SINGLE_LINE_TEXT, text) == _accepts(_name, text)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("张三", True),
        (" 张 三\n", True),
        ("a\x00b", False),
        ("a\u200bb", False),
        ("a\nb", False),
        ("   ", False),
        ("", False),
    ],
)
def test_names(text: str, valid: bool) -> None:
    assert patterns.matches(patterns.SINGLE_LINE_TEXT, text) is valid
    assert _accepts(_name, text) is valid


@EXAMPLES
@given(st.text(max_size=12))
def test_the_notes_pattern_and_the_notes_rule_agree(text: str) -> None:
    assert patterns.matches(patterns.NOTES, text) == _accepts(_notes, text)


@EXAMPLES
@given(
    st.from_regex(patterns.REAL_NAME).filter(
        lambda t: patterns.REAL_NAME_MIN_LENGTH <= len(t) <= patterns.REAL_NAME_MAX_LENGTH
    )
)
def test_every_real_name_the_pattern_admits_is_accepted(text: str) -> None:
    assert _accepts(clean_real_name, text)


@pytest.mark.parametrize("text", ["张", "张\n", "John", "张··三", "张·", "张" * 31, "张\x00三"])
def test_real_names_the_pattern_refuses(text: str) -> None:
    valid = (
        patterns.matches(patterns.REAL_NAME, text)
        and patterns.REAL_NAME_MIN_LENGTH <= len(text) <= patterns.REAL_NAME_MAX_LENGTH
    )
    assert not valid


@EXAMPLES
@given(st.text(max_size=8))
def test_the_idempotency_key_pattern_is_the_servers(text: str) -> None:
    server = re.compile(r"^[\x21-\x7e]{1,200}$")
    assert patterns.matches(patterns.IDEMPOTENCY_KEY, text) == bool(server.match(text))
