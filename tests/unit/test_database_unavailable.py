"""Which failures mean "the database cannot serve now" (503) and which are bugs (500)."""

from __future__ import annotations

import socket

import asyncpg
import pytest
import sqlalchemy.exc

from backend.core.errors import database_unavailable


def _wrapped(inner: BaseException) -> sqlalchemy.exc.DBAPIError:
    """As SQLAlchemy's session path delivers a driver error: wrapped, the driver's as cause."""
    try:
        try:
            raise inner
        except BaseException as exc:
            raise sqlalchemy.exc.OperationalError("SELECT 1", {}, exc) from exc
    except sqlalchemy.exc.OperationalError as outer:
        return outer


def _fail_while_handling(first: BaseException) -> None:
    try:
        raise first
    except BaseException:
        raise RuntimeError("cleanup failed")  # noqa: B904


async def _refused() -> OSError:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        try:
            await asyncpg.connect(host="127.0.0.1", port=port, user="x", database="x")
        except OSError as exc:
            return exc
    raise AssertionError("connected to a port where nothing listens")


@pytest.mark.parametrize(
    "exc",
    [
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.TooManyConnectionsError("too many clients"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
        sqlalchemy.exc.TimeoutError("QueuePool limit reached"),
        TimeoutError(),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_the_server_or_the_pool_cannot_serve_now(exc: BaseException) -> None:
    assert database_unavailable(exc) is exc
    wrapped = _wrapped(exc)
    assert database_unavailable(wrapped) is not None


async def test_a_refused_connection_from_the_driver_is_unavailability() -> None:
    refused = await _refused()
    assert database_unavailable(refused) is refused
    assert database_unavailable(_wrapped(refused)) is not None
    # Another failure while handling it (cleaning up after the lost connection): the outage is
    # still why the request failed.
    with pytest.raises(RuntimeError) as later:
        _fail_while_handling(refused)
    assert database_unavailable(later.value) is refused
    assert database_unavailable(ExceptionGroup("batch", [refused])) is refused


def test_an_invalidated_connection_is_unavailability() -> None:
    lost = sqlalchemy.exc.DBAPIError(
        "SELECT 1", {}, Exception("closed"), connection_invalidated=True
    )
    assert database_unavailable(lost) is lost


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("a bug"),
        FileNotFoundError(2, "No such file or directory"),
        ConnectionRefusedError(111, "an HTTP provider refused"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        asyncpg.exceptions.UndefinedColumnError("column does not exist"),
        asyncpg.exceptions.InterfaceError("another operation is in progress"),
        sqlalchemy.exc.ProgrammingError("SELECT", {}, Exception("syntax")),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_bugs_and_other_failures_are_not(exc: BaseException) -> None:
    assert database_unavailable(exc) is None
    assert database_unavailable(_wrapped(exc)) is None
