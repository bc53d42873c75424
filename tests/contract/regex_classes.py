"""Hypothesis builds each regex character class once per test run, not once per strategy.

Our text patterns (``schemas/patterns.py``: ``SINGLE_LINE_TEXT``, ``NOTES`` and the names built
on them) spell out "every printable character" as a class of some 700 ranges covering about
280,000 code points. Hypothesis (6.170) turns a class into a strategy by adding its ranges one
code point at a time (``CharactersBuilder.add_char``) and sorting the result, about 2 s of CPU
per class, four classes per pattern, and it does so again for every ``from_regex`` strategy it
builds: Schemathesis builds a new one for each schema it derives from the operation (coverage
cases, each negated keyword, each example drawn), so the contract test's ``createMember`` and
``updateMember`` spent ~250 s each building the same four classes 29 times over, and almost
nothing sending requests.

``install()`` memoises the strategy of a character class (``sre`` ``IN`` node) by what decides
it: the class's members, the flags, str or bytes, and the alphabet's code points. The strategy
is the same object Hypothesis would have built (an immutable description of one character), so
every generated request is what it was; only the repeated construction is gone.
"""

from __future__ import annotations

import functools
import re
import threading
from re import _constants as _sre  # type: ignore[attr-defined]
from typing import Any

from hypothesis.internal import charmap
from hypothesis.internal.intervalsets import IntervalSet
from hypothesis.strategies._internal import regex as _regex
from hypothesis.strategies._internal.lazy import unwrap_strategies
from hypothesis.strategies._internal.strategies import SearchStrategy

_CLASSES: dict[tuple[Any, ...], SearchStrategy] = {}
_LOCK = threading.Lock()


def install() -> None:
    """Wrap Hypothesis's regex translator (idempotent; per process)."""
    if getattr(_regex._strategy, "_qiyou_memoised", False):
        return
    original = _regex._strategy

    @functools.wraps(original)
    def _strategy(codes: Any, context: Any, is_unicode: bool, *, alphabet: Any) -> Any:
        if not (isinstance(codes, tuple) and codes and codes[0] == _sre.IN):
            return original(codes, context, is_unicode, alphabet=alphabet)
        members = tuple((int(code), value) for code, value in codes[1])
        chars = None if alphabet is None else unwrap_strategies(alphabet).intervals
        key = (members, int(context.flags), is_unicode, chars)
        with _LOCK:
            cached = _CLASSES.get(key)
        if cached is None:
            cached = _from_ranges(codes[1], context.flags, is_unicode, alphabet)
        if cached is None:
            cached = original(codes, context, is_unicode, alphabet=alphabet)
            with _LOCK:
                _CLASSES[key] = cached
        return cached

    _strategy._qiyou_memoised = True  # type: ignore[attr-defined]
    _regex._strategy = _strategy


def _from_ranges(
    members: Any, flags: int, is_unicode: bool, alphabet: Any
) -> SearchStrategy | None:
    """The strategy Hypothesis builds for a class of characters and ranges, built from the ranges.

    Hypothesis adds a range to its ``CharactersBuilder`` one code point at a time (a set of
    ~280,000 one-character strings for our text classes, then sorted back into intervals): the
    few builds each process still made cost ~1/3 of a contract shard's CPU. For a class of
    literals and ranges, unicode, without IGNORECASE (which adds each member's other case), the
    builder's result is the union of those ranges, complemented if negated, within the alphabet:
    the same ``IntervalSet``, so the same ``OneCharStringStrategy`` and the same draws
    (tests/unit/test_regex_classes.py compares them with Hypothesis's own). Anything else
    (categories, bytes, IGNORECASE): ``None``, and Hypothesis builds it.
    """
    if not is_unicode or flags & re.IGNORECASE or alphabet is None:
        return None
    negate = False
    spans: list[tuple[int, int]] = []
    for code, value in members:
        if code == _sre.NEGATE:
            negate = True
        elif code == _sre.LITERAL:
            spans.append((value, value))
        elif code == _sre.RANGE:
            spans.append((value[0], value[1]))
        else:
            return None
    listed = IntervalSet(sorted(spans))
    intervals = listed.union(listed)
    if negate:
        intervals = charmap.query() - intervals
    intervals &= unwrap_strategies(alphabet).intervals
    return _regex._intervals_to_strategy(intervals, description="This character class")


def classes_built() -> int:
    """How many distinct classes were built (for the test that this stays effective)."""
    return len(_CLASSES)
