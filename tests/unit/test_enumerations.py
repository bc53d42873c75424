"""Enumerations have one source, the ``Literal``s of ``schemas/``: the models' CHECK constraints
are built from them (``backend.core.base.one_of``), and the database after the migrations must
hold the same lists, so a Literal changed without a migration fails here."""

from __future__ import annotations

import re
from typing import get_args

import asyncpg

from backend.core.auth import Role
from backend.core.base import ONE_OF
from backend.models import metadata
from schemas import hub, identity

# pg_get_constraintdef renders ``x IN ('a', 'b')`` as ``x = ANY (ARRAY['a'::text, ...])``.
_VALUE = re.compile(r"'((?:[^']|'')*)'::")
_LIST = re.compile(r"= ANY \(+ARRAY\[|\bIN \(")


def _modelled() -> dict[str, tuple[str, ...]]:
    return {
        str(constraint.name): constraint.info[ONE_OF]
        for table in metadata.tables.values()
        for constraint in table.constraints
        if ONE_OF in constraint.info
    }


async def _in_database(database_url: str) -> dict[str, str]:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        rows = await connection.fetch(
            "SELECT conname, pg_get_constraintdef(c.oid) AS definition FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE c.contype = 'c' AND n.nspname = 'public'"
        )
    finally:
        await connection.close()
    return {row["conname"]: row["definition"] for row in rows}


def test_every_enumeration_is_built_from_a_literal() -> None:
    assert len(_modelled()) >= 12
    for name, values in _modelled().items():
        assert values, name
        assert len(set(values)) == len(values), name


async def test_the_database_holds_each_literal(database_url: str) -> None:
    database = await _in_database(database_url)
    modelled = _modelled()
    for name, values in modelled.items():
        assert name in database, f"{name}: no such constraint after the migrations"
        held = [v.replace("''", "'") for v in _VALUE.findall(database[name])]
        assert sorted(held) == sorted(values), (
            f"{name}: the database allows {sorted(held)}, the Literal {sorted(values)}; "
            "a migration must change the constraint with the Literal"
        )
    # And no list of allowed values is written out by hand: every CHECK that lists values in
    # the database is one of the models' one_of.
    by_hand = sorted(
        name
        for name, definition in database.items()
        if _LIST.search(definition) and name not in modelled
    )
    assert by_hand == [], by_hand


def test_the_room_kinds_migration_lists_the_literal() -> None:
    # Migrations write their lists out (they must not change when the code does); 0009's must
    # be RoomKind as it was then, which is now.
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "alembic" / "versions" / "0009_room_kinds.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert get_args(hub.RoomKind) == module.KINDS


def test_the_guards_roles_are_the_wire_roles() -> None:
    # The guards compare with a StrEnum; the wire and the users table use the Literal.
    assert {role.value for role in Role} == set(get_args(identity.Role))
