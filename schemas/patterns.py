"""Regular expressions that state, in the OpenAPI document, rules a service enforces in code.

Each pattern matches exactly the strings the rule accepts, so a client (or a contract test)
reading the document knows what will be refused. They are built from the same character
classes the services use (Python's ``\\s`` and ``str.strip``, Unicode's "C" categories), so
both sides agree character by character. They are written for Python's and ECMAScript's
regular expressions alike: explicit ``\\uXXXX`` escapes, no ``\\s``, no look-arounds.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Iterable


def _ranges(codepoints: Iterable[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for point in codepoints:
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))
    return ranges


def _escape(point: int) -> str:
    if point > 0xFFFF:
        # ECMAScript knows no \U escape; the character itself works in both dialects.
        return chr(point)
    return f"\\u{point:04x}"


def _class_body(test: Callable[[str], bool]) -> str:
    """The inside of a ``[...]`` holding every character that passes ``test``."""
    parts = []
    for first, last in _ranges(p for p in range(sys.maxunicode + 1) if test(chr(p))):
        if first == last:
            parts.append(_escape(first))
        else:
            parts.append(f"{_escape(first)}-{_escape(last)}")
    return "".join(parts)


# What ``str.strip()`` removes (the same characters as Python's ``\s`` in ``re``).
WHITESPACE = _class_body(str.isspace)


def _stripped_text(refused: Callable[[str], bool], *, may_be_empty: bool) -> str:
    """Text that, once ``strip``ped, holds no ``refused`` character (and is not empty).

    What ``strip`` takes from either end may be anything: a trailing newline is no control
    character in the text kept.
    """
    kept = _class_body(lambda ch: not refused(ch))
    inner = _class_body(lambda ch: not refused(ch) and not ch.isspace())
    core = f"[{inner}](?:[{kept}]*[{inner}])?"
    if may_be_empty:
        core = f"(?:{core})?"
    return f"^[{WHITESPACE}]*{core}[{WHITESPACE}]*$"


def _other(ch: str) -> bool:
    """Unicode's "Other" categories: control, format, surrogate, private use, unassigned."""
    return unicodedata.category(ch).startswith("C")


def _control_but_tab_or_newline(ch: str) -> bool:
    return (ord(ch) < 32 and ch not in "\n\t") or ch == "\x7f"


# ``service.clean_text`` (display names, member names): NFC, stripped, not empty, and no
# character of a "C" category.
SINGLE_LINE_TEXT = _stripped_text(_other, may_be_empty=False)
# ``members._notes``: stripped; tabs and newlines are kept, other control characters refused.
NOTES = _stripped_text(_control_but_tab_or_newline, may_be_empty=True)

# ``service.normalize_phone``: separators (whitespace, brackets, dashes) are dropped anywhere,
# then an optional ``+86`` or ``86`` and a mainland mobile number of 11 ASCII digits.
_SEP = f"[{WHITESPACE}()-]*"
PHONE = f"^{_SEP}(?:(?:\\+{_SEP})?8{_SEP}6{_SEP})?1{_SEP}[3-9](?:{_SEP}[0-9]){{9}}{_SEP}$"
PHONE_MAX_LENGTH = 32

# ``verification.clean_real_name``: Han characters, parts joined by a middle dot, 2 to 30 in
# all. Stated without surrounding whitespace (the service also strips it), which no ID card
# has. At least two Han characters in the pattern itself: Python's ``$`` also matches before
# a final newline, which ``minLength`` would count although the service strips it.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f"
REAL_NAME = f"^[{_HAN}](?:[·•・]?[{_HAN}])+$"
REAL_NAME_MIN_LENGTH = 2
REAL_NAME_MAX_LENGTH = 30

# ``core.idempotency``: 1 to 200 visible ASCII characters.
IDEMPOTENCY_KEY = r"^[\x21-\x7e]{1,200}$"
IDEMPOTENCY_KEY_MAX_LENGTH = 200


def matches(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern`` as JSON Schema reads it (a search, anchored here)."""
    return re.search(pattern, text) is not None
