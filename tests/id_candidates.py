"""How many resident ID numbers agree with what is known of one: the measure behind the rule
"nothing stored in plaintext narrows an ID number below 10,000 candidates" (DESIGN.md).

Written independently of the service: the GB 11643 weights and check characters are restated
here, and the count is exact (no estimate): every area code, birth date and sequence number that
agrees with the known characters, kept when its check character agrees too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
THRESHOLD = 10_000


def _fits(text: str, offset: int, known: Mapping[int, str]) -> bool:
    return all(known.get(offset + i, ch) == ch for i, ch in enumerate(text))


def _residue(text: str, offset: int) -> int:
    return sum(int(d) * WEIGHTS[offset + i] for i, d in enumerate(text)) % 11


def days(first: date, last: date) -> tuple[date, ...]:
    return tuple(first + timedelta(days=n) for n in range((last - first).days + 1))


@lru_cache(maxsize=64)
def _date_residues(births: tuple[date, ...], known: tuple[tuple[int, str], ...]) -> Counter[int]:
    # Cached: the worst-case search counts the same century of dates over and over.
    fixed = dict(known)
    texts = (f"{b:%Y%m%d}" for b in births)
    return Counter(_residue(t, 6) for t in texts if _fits(t, 6, fixed))


def count_candidates(
    *,
    areas: Iterable[str],
    births: Iterable[date],
    known: Mapping[int, str] | None = None,
    sex: str | None = None,
) -> int:
    """ID numbers with an area code from ``areas``, a birth date from ``births``, the
    characters ``known`` (position → character, as a mask shows them) and, if given, the sex
    (``male``: odd 17th digit)."""
    known = known or {}
    area_residues = Counter(_residue(a, 0) for a in areas if _fits(a, 0, known))
    date_known = tuple(sorted((i, ch) for i, ch in known.items() if 6 <= i < 14))
    date_residues = _date_residues(tuple(births), date_known)
    parity = {"male": 1, "female": 0}.get(sex or "")
    sequence_residues = Counter(
        _residue(f"{s:03d}", 14)
        for s in range(1000)
        if _fits(f"{s:03d}", 14, known) and (parity is None or s % 2 == parity)
    )
    total = 0
    for a, na in area_residues.items():
        for d, nd in date_residues.items():
            for s, ns in sequence_residues.items():
                if known.get(17, CHECK[(a + d + s) % 11]) == CHECK[(a + d + s) % 11]:
                    total += na * nd * ns
    return total


def known_characters(mask: str) -> dict[int, str]:
    """Position → character of what a mask leaves visible."""
    return {i: ch for i, ch in enumerate(mask) if ch != "*"}
