"""The memo of Hypothesis's regex character classes (tests/contract/regex_classes.py): in place,
effective, and drawing what Hypothesis draws without it."""

from __future__ import annotations

import re
import sys
import time
from re import _constants as _sre  # type: ignore[attr-defined]
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.internal.intervalsets import IntervalSet
from hypothesis.strategies._internal import regex as hypothesis_regex
from hypothesis.strategies._internal.lazy import unwrap_strategies

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


def _classes(pattern: str) -> list[tuple[int, list[tuple[Any, Any]]]]:
    """Every character class of a pattern, as sre parses it (flags, members)."""
    parsed = re._parser.parse(pattern)  # type: ignore[attr-defined]
    found = []

    def walk(items: Any) -> None:
        for code, value in items:
            if code == _sre.IN:
                found.append((parsed.state.flags, value))
            elif isinstance(value, (list, tuple)):
                for part in value:
                    if isinstance(part, re._parser.SubPattern):  # type: ignore[attr-defined]
                        walk(part)
                    elif isinstance(part, (list, tuple)):
                        for inner in part:
                            if isinstance(inner, re._parser.SubPattern):  # type: ignore[attr-defined]
                                walk(inner)

    walk(parsed)
    return found


# Hypothesis's own builder adds a class one code point at a time: seconds for each of the text
# patterns' classes (~280,000 code points), milliseconds for these, which take every path of
# ``_from_ranges`` (literals, ranges, overlaps, negation, astral planes).
@pytest.mark.parametrize(
    "pattern",
    [
        patterns.PHONE,
        patterns.IDEMPOTENCY_KEY,
        "[^a-z0-9_]",
        "[a-cb-fx]",
        "[\\u00e9\\U0001f600-\\U0001f64f]",
        "[^\\u0000-\\u001f\\U0001f600-\\U0001f64f]",
    ],
    ids=["phone", "idempotency-key", "negated", "overlapping", "astral", "negated-astral"],
)
def test_classes_from_ranges_are_the_ones_hypothesis_builds(pattern: str) -> None:
    alphabet = st.characters(codec=None)
    classes = _classes(pattern)
    assert classes, pattern
    for flags, members in classes:
        fast = regex_classes._from_ranges(members, flags, True, alphabet)
        assert fast is not None
        builder = hypothesis_regex.CharactersBuilder(
            negate=members[0][0] == _sre.NEGATE, flags=re.RegexFlag(flags), alphabet=alphabet
        )
        for code, value in members:
            if code == _sre.LITERAL:
                builder.add_char(chr(value))
            elif code == _sre.RANGE:
                for point in range(value[0], value[1] + 1):
                    builder.add_char(chr(point))
        slow = builder.strategy
        assert fast.intervals.intervals == slow.intervals.intervals  # type: ignore[attr-defined]
        assert type(fast) is type(slow)


_EVERY_CODE_POINT = "".join(map(chr, range(sys.maxunicode + 1)))


def _as_class(members: list[tuple[Any, Any]]) -> str:
    """A parsed class written back as a regex class (literals, ranges and negation only)."""
    parts = []
    for code, value in members:
        if code == _sre.NEGATE:
            parts.insert(0, "^")
        elif code == _sre.LITERAL:
            parts.append(re.escape(chr(value)))
        else:
            assert code == _sre.RANGE, code
            parts.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
    return "[" + "".join(parts) + "]"


@pytest.mark.parametrize(
    "pattern",
    [patterns.SINGLE_LINE_TEXT, patterns.NOTES, patterns.REAL_NAME],
    ids=["single-line-text", "notes", "real-name"],
)
def test_the_text_patterns_classes_are_what_re_matches_within_the_alphabet(pattern: str) -> None:
    # The text patterns' classes against ``re`` itself, which decides what a drawn string must
    # match: every code point the class matches that the alphabet allows, and no other.
    alphabet = st.characters(codec=None)
    allowed = unwrap_strategies(alphabet).intervals
    classes = _classes(pattern)
    assert classes, pattern
    for flags, members in classes:
        fast = regex_classes._from_ranges(members, flags, True, alphabet)
        assert fast is not None
        # Position i of the string is code point i: each run of matches is an interval.
        runs = re.finditer(_as_class(members) + "+", _EVERY_CODE_POINT)
        matched = IntervalSet([(run.start(), run.end() - 1) for run in runs])
        assert fast.intervals.intervals == (matched & allowed).intervals  # type: ignore[attr-defined]


def test_classes_with_categories_or_ignorecase_are_left_to_hypothesis() -> None:
    alphabet = st.characters(codec=None)
    ((flags, members),) = _classes("[\\w.]")
    assert regex_classes._from_ranges(members, flags, True, alphabet) is None
    ((flags, members),) = _classes("(?i)[a-z]")
    assert regex_classes._from_ranges(members, flags, True, alphabet) is None
