"""Counting the SQL statements a request sends through the app's engine.

A list endpoint should cost the same number of statements for one item and for a full page;
``cost`` measures one request, ``counting`` any block of code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import event


@contextmanager
def counting(app: Litestar) -> Iterator[list[str]]:
    """The statements run on ``app``'s engine inside the block, in order."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    engine = app.state.db_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    # The hot reads skip the session and run on the driver connection (backend.core.reads).
    observers = app.state.reader.observers
    observers.append(statements.append)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
        observers.remove(statements.append)


async def cost(
    app: Litestar,
    client: httpx.AsyncClient,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    expect_items: int | None = None,
    **params: Any,
) -> int:
    """How many statements one successful GET of ``path`` sent; checks the page's length."""
    with counting(app) as statements:
        response = await client.get(path, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    if expect_items is not None:
        body = response.json()
        items = body["items"] if isinstance(body, dict) else body
        assert len(items) == expect_items, body
    assert statements, f"{path} sent no statement: is the counter on the app's engine?"
    return len(statements)
