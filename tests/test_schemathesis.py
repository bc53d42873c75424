"""Property-based contract tests: Schemathesis generates requests for every operation of the
app's own OpenAPI document and checks that no answer is a 5xx and every answer is what the
document promises (status documented, content type and body matching the schema).

The app runs in the test's event loop on its per-test database, as in every API test; Hypothesis
runs in a worker thread and sends each generated request over to that loop. Every operation is
called with the token of a role it admits (a resident where residents may, else an admin, staff
or worker account, whichever its guard admits first), so guarded operations are exercised beyond
their 401/403. Rate limits are off: the point is to reach the handlers, not the throttle.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import replace
from typing import Any

import httpx
import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from litestar import Litestar
from litestar.routes import HTTPRoute
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.auth import Role, RoleGuard, optional_user
from backend.notifications import service as notifications
from backend.notifications.messages import register_kinds
from tests.conftest import MakeUser

Sessions = async_sessionmaker[AsyncSession]

pytestmark = pytest.mark.schemathesis

EXAMPLES_PER_OPERATION = 15
BASE_URL = "http://testserver"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# A resident first: most of the API is theirs. Staff roles only where residents may not go.
ROLE_PREFERENCE = (Role.RESIDENT, Role.ADMIN, Role.STAFF, Role.WORKER)
# Ends the caller's own session, after which every later call would be a 401.
SPARED = {("POST", "/api/v1/auth/logout")}


register_kinds(
    {
        "test_contract": {
            "zh-CN": ("契约测试", "{what}：契约测试消息。"),
            "en": ("Contract test", "{what}: a message for the contract test."),
        }
    }
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, rate_limit_enabled=False)


def _roles_by_operation(app: Litestar) -> dict[tuple[str, str], Role | None]:
    """Which role to call each operation as; ``None`` for public operations."""
    chosen: dict[tuple[str, str], Role | None] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        # OpenAPI writes "{id}" where Litestar writes "{id:uuid}".
        path = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", route.path)
        for handler in route.route_handlers:
            admitted = [g.roles for g in handler.resolve_guards() if isinstance(g, RoleGuard)]
            public = bool(handler.opt.get("exclude_from_auth"))
            reads_token = any(
                provider.dependency is optional_user
                for provider in handler.resolve_dependencies().values()
            )
            role: Role | None = Role.RESIDENT if reads_token else None
            if not public:
                allowed = frozenset.intersection(*admitted) if admitted else frozenset(Role)
                role = next((r for r in ROLE_PREFERENCE if r in allowed), Role.RESIDENT)
            for method in handler.http_methods:
                chosen[(method, path)] = role
    return chosen


def _to_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The requests-style arguments Schemathesis serialises a case to, for httpx."""
    converted: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": kwargs.get("headers") or {},
        "params": kwargs.get("params"),
        "cookies": kwargs.get("cookies") or None,
    }
    if "json" in kwargs:
        converted["json"] = kwargs["json"]
    data = kwargs.get("data")
    if isinstance(data, bytes | str):
        converted["content"] = data
    elif data is not None:
        converted["data"] = data
    if kwargs.get("files"):
        converted["files"] = kwargs["files"]
    return converted


async def test_every_operation_keeps_its_contract(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    accounts = {role: await make_user(role.value) for role in Role}
    tokens = {role: account.headers for role, account in accounts.items()}
    # Something in every inbox, so listing renders real messages (one with data missing).
    async with db() as session, session.begin():
        for account in accounts.values():
            await notifications.notify(
                session, user_id=account.id, kind="test_contract", data={"what": "契约"}
            )
            await notifications.notify(session, user_id=account.id, kind="test_contract")
    roles = _roles_by_operation(app)
    schema = schemathesis.openapi.from_dict(app.openapi_schema.to_schema())
    loop = asyncio.get_running_loop()

    def send(case: Any, headers: dict[str, str]) -> httpx.Response:
        request = _to_httpx(case.as_transport_kwargs(base_url=BASE_URL, headers=headers))
        future = asyncio.run_coroutine_threadsafe(client.request(**request), loop)
        return future.result(timeout=60)

    def exercise(operation: Any) -> None:
        key = (operation.method.upper(), operation.path)
        role = roles.get(key)
        headers = {} if role is None else dict(tokens[role])

        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def positive(case: Any) -> None:
            case.validate_response(send(case, headers), checks=CHECKS, headers=headers)

        @hypothesis.settings(
            max_examples=max(3, EXAMPLES_PER_OPERATION // 3),
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE))
        def negative(case: Any) -> None:
            case.validate_response(
                send(case, headers), checks=[*CHECKS, negative_data_rejection], headers=headers
            )

        positive()
        # Unsatisfiable: nothing to get wrong (no parameters, or only free-form strings).
        with contextlib.suppress(hypothesis.errors.Unsatisfiable):
            negative()

    def run_all() -> list[str]:
        failures: list[str] = []
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in SPARED:
                continue
            try:
                exercise(operation)
            except (Exception, BaseExceptionGroup) as exc:  # report every operation, not just one
                failures.append(f"{operation.method.upper()} {operation.path}:\n{exc}")
        return failures

    failures = await asyncio.to_thread(run_all)
    if failures:
        pytest.fail(
            f"{len(failures)} operation(s) broke their contract:\n\n" + "\n\n".join(failures),
            pytrace=False,
        )
