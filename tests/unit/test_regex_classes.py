"""The memo of Hypothesis's regex character classes (tests/contract/regex_classes.py): in place,
effective, and drawing what Hypothesis draws without it."""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.strategies._internal import regex as hypothesis_regex

from schemas import patterns
from tests.contract import regex_classes


def test_installed_by_conftest() -> None:
    assert getattr(hypothesis_regex._strategy, "_qiyou_memoised", False)


def _build(pattern: str) -> float:
    started = time.process_time()
    strategy = st.from_regex(re.compile(pattern), fullmatch=True)
    strategy.validate()  # a lazy strategy builds its regex translation here
    return time.process_time() - started


def test_a_text_pattern_is_built_once() -> None:
    # Of a pattern the suite has not used yet (the number is part of it): the first build pays
    # for its four big classes (seconds), every later one finds them built.
    pattern = patterns.SINGLE_LINE_TEXT[:-1] + "(?:#memo-test)?$"
    _build(pattern)
    built = regex_classes.classes_built()
    again = min(_build(pattern) for _ in range(3))
    assert regex_classes.classes_built() == built
    assert again < 0.2, f"rebuilding a memoised pattern took {again:.2f} s of CPU"


@settings(max_examples=50, deadline=None, database=None)
@given(st.from_regex(re.compile(patterns.SINGLE_LINE_TEXT), fullmatch=True))
def test_what_is_drawn_still_matches(text: str) -> None:
    assert re.fullmatch(patterns.SINGLE_LINE_TEXT, text)
