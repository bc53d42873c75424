"""Statements per request, counted by PostgreSQL itself (``log_statement = 'all'``).

Every statement a client sends is one round trip: BEGIN and COMMIT included, and each execute
of a prepared statement. The log names the client by ``application_name`` (Qiyou sets
``qiyou``, the ceiling ``qiyou-ceiling``), so both can be counted on the same server.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from tests.bench.load import Request

PREFIX = "%m [%p] app=%a "
_LINE = re.compile(r"app=(?P<app>\S*) LOG:  (?:statement|execute [^:]*): (?P<sql>.*)$")


@dataclass
class Census:
    requests: int
    statements: int
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def per_request(self) -> float:
        return self.statements / self.requests if self.requests else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "statements_per_request": round(self.per_request, 2),
            "statements": [
                {"sql": sql, "per_request": round(n / self.requests, 2)}
                for sql, n in self.kinds.most_common()
            ],
        }


class StatementLog:
    def __init__(self, dsn: str, log_path: Path) -> None:
        self.dsn = dsn
        self.log_path = log_path

    async def _configure(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
            await conn.execute("SELECT pg_reload_conf()")
        finally:
            await conn.close()
        await asyncio.sleep(0.5)  # the backends pick the new settings up between statements

    async def enable(self) -> None:
        await self._configure(
            "ALTER SYSTEM SET log_statement = 'all'",
            f"ALTER SYSTEM SET log_line_prefix = '{PREFIX}'",
        )

    async def disable(self) -> None:
        await self._configure(
            "ALTER SYSTEM RESET log_statement", "ALTER SYSTEM RESET log_line_prefix"
        )

    def count(self, app: str, base_url: str, requests: list[Request]) -> Census:
        """Send ``requests`` one after another and count the statements ``app`` sent."""
        start = self.log_path.stat().st_size
        for request in requests:
            _send(base_url, request)
        time.sleep(0.3)
        with self.log_path.open("rb") as log:
            log.seek(start)
            text = log.read().decode("utf-8", "replace")
        census = Census(requests=len(requests), statements=0)
        lines = text.splitlines()
        for number, line in enumerate(lines):
            match = _LINE.search(line)
            if match and match["app"] == app:
                census.statements += 1
                # A statement that starts with a line break continues on the next log line.
                sql = match["sql"] or (lines[number + 1] if number + 1 < len(lines) else "")
                census.kinds[_shorten(sql)] += 1
        return census


def _shorten(sql: str) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= 140 else sql[:137] + "..."


def _send(base_url: str, request: Request) -> int:
    headers = {"Content-Type": "application/json"} if request.body else {}
    if request.token:
        headers["Authorization"] = f"Bearer {request.token}"
    http = urllib.request.Request(
        base_url + request.path,
        data=request.body.encode() if request.body else None,
        headers=headers,
        method=request.method,
    )
    try:
        with urllib.request.urlopen(http, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.read()
        return int(error.code)
