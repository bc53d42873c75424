"""The authorization matrix, shared by every domain's ``tests/api/test_authz_<domain>.py``.

Each of those modules lists the endpoints it covers in ``ENDPOINTS`` (method, path template as
the app registers it); ``tests/api/test_authz_complete.py`` fails when a route of the app is in
no module's list, so a new endpoint cannot ship without its rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from backend.core.clock import FrozenClock
from tests.conftest import problem
from tests.factories import Account

ROLES = ("anonymous", "resident", "worker", "staff", "admin", "dispatcher", "caregiver")

OK = "ok"
"""In a row of expectations (role -> ``OK``, 401 or 403): the role is admitted, and its call
answers the success status of its ``Call``."""

REFUSAL_CODES = {401: "unauthorized", 403: "forbidden"}


@dataclass(frozen=True)
class Call:
    """One request of the matrix as an arrangement made it: where it goes, with what, and the
    status an admitted caller gets."""

    url: str
    body: Any = None
    success: int = 200
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


async def check_every_role(
    client: httpx.AsyncClient,
    method: str,
    expected: Mapping[str, Any],
    *,
    clock: FrozenClock,
    caller_of: Callable[[str], Awaitable[Account]],
    arrange: Callable[[Account | None], Awaitable[Call]],
) -> None:
    """Every role of ``ROLES`` against one endpoint, in one test; ``expected`` maps each role
    to ``OK``, 401 or 403.

    A module's ``test_matrix`` is parametrized by endpoint only and calls this, instead of one
    test per (endpoint, role): each test pays for a fresh database, the app and its lifespan,
    and each arrangement builds a whole world through the API, so seven of each per endpoint
    were most of the matrices' time. The rule:

    - ``caller_of(role)`` makes the caller of a signed-in role (anonymous calls without one);
      ``arrange(caller)`` builds what the request needs, for that caller (the owner of the
      object where the caller may own it), and returns the ``Call``.
    - The roles the endpoint refuses share ONE arrangement, built with ``caller=None`` as for
      anonymous (someone else's object), lazily (only when some role is refused): a refusal
      must change nothing, so the next refused role meets the same world. They go first, so
      that world is still the one the arrangement made, before any admitted request.
    - Each role the endpoint admits gets an arrangement of its own, built for it, because an
      admitted request changes the world (publishes, accepts, withdraws ...). Before each, the
      clock goes back to where it stood when this began, since some arrangements move it.
      These arrangements share the test's database, so a builder must find its own objects,
      not assume it is alone (name the provider of its order, pick its own elder's alert).
    - Every mismatch is collected, named by its role, and asserted at the end, so one failure
      shows the whole row; a refusal must also carry its problem code (``REFUSAL_CODES``).
    """
    start = clock.now()
    refused = [role for role in ROLES if expected[role] != OK]
    admitted = [role for role in ROLES if expected[role] == OK]
    wrong: list[str] = []
    shared: Call | None = None
    for role in refused:
        caller = None if role == "anonymous" else await caller_of(role)
        if shared is None:
            shared = await arrange(None)
        response = await _send(client, method, shared, caller)
        status = expected[role]
        code = REFUSAL_CODES[status]
        if response.status_code != status:
            wrong.append(f"{role}: expected {status}, got {_answer(response)}")
            continue
        try:
            got = problem(response)["code"]
        except AssertionError:
            wrong.append(f"{role}: expected a {status} problem document, got {_answer(response)}")
            continue
        if got != code:
            wrong.append(
                f"{role}: expected {status} {code}, got {status} {got} {response.text[:200]}"
            )
    for role in admitted:
        clock.set(start)
        caller = None if role == "anonymous" else await caller_of(role)
        call = await arrange(caller)
        response = await _send(client, method, call, caller)
        if response.status_code != call.success:
            wrong.append(f"{role}: expected {call.success}, got {_answer(response)}")
    assert wrong == [], "\n".join(wrong)


async def _send(
    client: httpx.AsyncClient, method: str, call: Call, caller: Account | None
) -> httpx.Response:
    headers = {**(caller.headers if caller is not None else {}), **call.headers}
    return await client.request(
        method, call.url, json=call.body, params=call.params, headers=headers
    )


def _answer(response: httpx.Response) -> str:
    return f"{response.status_code} {response.text[:200]}"
