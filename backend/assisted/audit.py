"""The record of every request a worker makes for an assisted resident (``acted_for``).

Written by ``record``, which runs on every answer just before the request's session commits
(``resources.request_sessions(before_commit=...)``). An ordinary request pays one
dictionary lookup and an attribute test: only a token with an ``act`` claim goes further, and
only for a request that may change something (not GET, HEAD or OPTIONS).

- A 2xx answer whose handler used the request's session: the row joins that session, so it
  commits with the action or not at all.
- A refusal (4xx, 5xx) is recorded too, in its own short transaction, after the action's
  changes were rolled back (here, first: see below): the household and the admins see what was
  tried and refused.
- A 2xx answer of a handler without the session (a registration without Idempotency-Key commits
  its single statement on its own): its own transaction, just after the action's.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar.types import Message, Scope
from sqlalchemy.ext.asyncio import AsyncSession

from backend.assisted.models import ActedFor
from backend.core.auth import AuthUser

log = logging.getLogger("qiyou.assisted")

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def _operation(scope: Scope) -> str:
    handler = scope.get("route_handler")
    operation_id = getattr(handler, "operation_id", None)
    if isinstance(operation_id, str):
        return operation_id
    return f"{scope.get('method', '')} {scope.get('path', '')}"[:100]


async def record(message: Message, scope: Scope, session: AsyncSession | None) -> None:
    user = scope.get("user")
    if not isinstance(user, AuthUser) or user.actor is None:
        return
    method = scope.get("method", "")
    if method in READS:
        return
    app: Any = scope["app"]
    status = int(message["status"])  # type: ignore[typeddict-item]
    row = ActedFor(
        actor_id=user.actor,
        subject_id=user.id,
        operation=_operation(scope),
        method=method,
        path=str(scope.get("path", ""))[:300],
        status=status,
        request_id=scope.get("state", {}).get("request_id"),
        created_at=app.state.clock.now(),
    )
    try:
        if session is not None and 200 <= status < 300:
            session.add(row)
            await session.flush()
            return
        if session is not None:
            # Undo the refused action first: its transaction may hold a lock on the elder's
            # account row (a household's additions lock it), which the record's foreign key
            # would wait for until that same transaction ended: never.
            await session.rollback()
        async with AsyncSession(app.state.db_engine, expire_on_commit=False) as own:
            own.add(row)
            await own.commit()
    except Exception:
        # The answer is already decided; a lost record is logged with everything it held.
        log.exception(
            "acted_for not recorded",
            extra={"actor_id": str(user.actor), "subject_id": str(user.id), "status": status},
        )
