"""Regular expressions that state, in the OpenAPI document, rules a service enforces in code.

Each pattern matches exactly the strings the rule accepts, so a client (or a contract test)
reading the document knows what will be refused. They are built from the same character
classes the services use (Python's ``\\s`` and ``str.strip``, Unicode's "C" categories), so
both sides agree character by character. They are written for Python's and ECMAScript's
regular expressions alike: explicit ``\\uXXXX`` escapes, no ``\\s``, no look-arounds.
"""

from __future__ import annotations

import array
import re
import sys
import unicodedata
from collections.abc import Callable

# Every code point once, as one string: the classes below are computed over it by C loops
# (``map`` of a ``str`` method, ``re`` over a byte per code point) rather than a Python call per
# code point, which took ~0.7 s of every process's start (the service's and each test worker's).
_ALL = (
    array.array("I", range(sys.maxunicode + 1))
    .tobytes()
    .decode(f"utf-32-{sys.byteorder[0]}e", "surrogatepass")
)
assert len(_ALL) == sys.maxunicode + 1, "array's 'I' is not 4 bytes here"


def _flags(test: Callable[[str], bool]) -> bytes:
    """One byte per code point, 1 where ``test`` passes; ``test`` should be a C function."""
    return bytes(map(test, _ALL))


def _not(flags: bytes) -> bytes:
    return flags.translate(_NEGATE)


def _both(first: bytes, second: bytes) -> bytes:
    return (int.from_bytes(first) & int.from_bytes(second)).to_bytes(len(first))


_NEGATE = bytes.maketrans(b"\x00\x01", b"\x01\x00")


def _escape(point: int) -> str:
    if point > 0xFFFF:
        # ECMAScript knows no \U escape; the character itself works in both dialects.
        return chr(point)
    return f"\\u{point:04x}"


def _class_body(flags: bytes) -> str:
    """The inside of a ``[...]`` holding every code point whose flag is set."""
    parts = []
    for run in re.finditer(b"\x01+", flags):
        first, last = run.start(), run.end() - 1
        if first == last:
            parts.append(_escape(first))
        else:
            parts.append(f"{_escape(first)}-{_escape(last)}")
    return "".join(parts)


_SPACE = _flags(str.isspace)
# What ``str.strip()`` removes (the same characters as Python's ``\s`` in ``re``).
WHITESPACE = _class_body(_SPACE)


def _stripped_text(refused: bytes, *, may_be_empty: bool) -> str:
    """Text that, once ``strip``ped, holds no ``refused`` character (and is not empty).

    What ``strip`` takes from either end may be anything: a trailing newline is no control
    character in the text kept.
    """
    allowed = _not(refused)
    kept = _class_body(allowed)
    inner = _class_body(_both(allowed, _not(_SPACE)))
    core = f"[{inner}](?:[{kept}]*[{inner}])?"
    if may_be_empty:
        core = f"(?:{core})?"
    return f"^[{WHITESPACE}]*{core}[{WHITESPACE}]*$"


# Unicode's "Other" categories: control, format, surrogate, private use, unassigned. Python's
# non-printable characters are those and the separators ("Z"), which are all whitespace: a
# category lookup for those few, not for every code point.
_SEPARATORS = bytearray(len(_ALL))
for _space in re.finditer(r"\s", _ALL):
    _SEPARATORS[_space.start()] = unicodedata.category(_space.group()).startswith("Z")
_OTHER = _both(_not(_flags(str.isprintable)), _not(bytes(_SEPARATORS)))
# Control characters but tab and newline.
_CONTROL_BUT_TAB_OR_NEWLINE = bytes(
    (point < 32 and chr(point) not in "\n\t") or point == 0x7F for point in range(0x80)
) + bytes(len(_ALL) - 0x80)

# ``service.clean_text`` (display names, member names): NFC, stripped, not empty, and no
# character of a "C" category.
SINGLE_LINE_TEXT = _stripped_text(_OTHER, may_be_empty=False)
# ``members._notes``: stripped; tabs and newlines are kept, other control characters refused.
NOTES = _stripped_text(_CONTROL_BUT_TAB_OR_NEWLINE, may_be_empty=True)

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
