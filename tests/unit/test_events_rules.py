"""The small pure rules of the events domain, and the registration rules' single definition.

(How ages count is PostgreSQL's date arithmetic now, tested against the database in
tests/api/test_events_rules.py.)"""

from __future__ import annotations

from typing import get_args

import pytest
from sqlalchemy.sql import ClauseElement, visitors

from backend.core.spreadsheets import csv_cell
from backend.events.registering import DECIDING
from backend.events.rules import AUDIENCE_RULES, EXPLAIN, RULES, Rule
from backend.events.service import like_pattern
from schemas.events import Audience


def _contains(statement: ClauseElement, clause: ClauseElement) -> bool:
    return any(element is clause for element in visitors.iterate(statement))


@pytest.mark.parametrize("way", sorted(DECIDING))
@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_every_rule_binds_every_way_of_registering(way: str, rule: Rule) -> None:
    """A rule lives in ``rules.RULES`` and nowhere else; each deciding statement (the resident
    alone, and with household members) carries every one of them, and the explanation selects
    every one. A rule written into one way only fails here."""
    assert _contains(DECIDING[way], rule.holds), f"{way} does not check {rule.name}"
    assert _contains(EXPLAIN, rule.holds), f"the explanation does not name {rule.name}"


def test_rule_names_are_unique() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))


def test_every_audience_has_its_rule() -> None:
    """An audience added to the wire without a rule would refuse everyone (the rule's
    ``else``); one with a rule but not on the wire is dead code."""
    assert set(AUDIENCE_RULES) == set(get_args(Audience))


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("越剧", "%越剧%"),
        ("100%", "%100\\%%"),
        ("a_b", "%a\\_b%"),
        ("C:\\", "%C:\\\\%"),
    ],
)
def test_search_text_is_matched_literally(text: str, pattern: str) -> None:
    assert like_pattern(text) == pattern


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ("张伟", "张伟"),
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+86", "'+86"),
        ("-1", "'-1"),
        ("@sum", "'@sum"),
        ("", ""),
    ],
)
def test_csv_cells_never_become_formulas(name: str, cell: str) -> None:
    assert csv_cell(name) == cell
