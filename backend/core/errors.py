"""Errors as RFC 9457 problem details with a stable ``code``, in the caller's language.

Services raise :class:`AppError` (never an HTTP exception); the handlers here turn it, and every
exception Litestar raises, into ``application/problem+json``. Nothing internal — stack traces,
SQL, exception text — ever reaches a client: a 500 is logged with its request id and answered
with that id only.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import asyncpg
import msgspec
import sqlalchemy.exc
from litestar import Litestar, Request, Response
from litestar.constants import RESERVED_KWARGS
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    SerializationException,
    ValidationException,
)
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute
from litestar.types import ExceptionHandlersMap

from backend.core import i18n
from backend.core.responses import Answer
from backend.core.routing import http_handlers
from schemas.common import Problem

log = logging.getLogger("qiyou.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
# The key under which an answer notes its status in the request's state, for the log and the
# metrics of what is answered before routing (observability.BeforeRouting).
ANSWERED_STATUS = "qiyou_answered_status"


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class AppError(Exception):
    """A domain error: its HTTP status, stable code and the parameters its message needs."""

    def __init__(
        self,
        status: int,
        code: str,
        params: Mapping[str, Any] | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.params = dict(params or {})
        self.errors = list(errors) if errors else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def __repr__(self) -> str:
        return f"AppError({self.status}, {self.code!r})"


def not_found(code: str = "not_found") -> AppError:
    return AppError(404, code)


def forbidden(code: str = "forbidden") -> AppError:
    return AppError(403, code)


def conflict(code: str, params: Mapping[str, Any] | None = None, **extra: Any) -> AppError:
    return AppError(409, code, params, extra=extra)


def unprocessable(code: str, params: Mapping[str, Any] | None = None, **extra: Any) -> AppError:
    return AppError(422, code, params, extra=extra)


def invalid_field(field: str, message: str, code: str = "validation_error") -> AppError:
    return AppError(422, code, errors=[FieldError(field=field, message=message)])


def rate_limited(retry_after: int, code: str = "rate_limited") -> AppError:
    retry_after = max(1, int(retry_after))
    return AppError(
        429, code, {"retryAfter": retry_after}, headers={"Retry-After": str(retry_after)}
    )


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    params: Mapping[str, Any] | None = None,
    *,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response[bytes]:
    language = i18n.negotiate(request.headers.get("accept-language"))
    state = request.scope.setdefault("state", {})
    request_id = state.get("request_id")
    title, detail = i18n.message(code, language, {"requestId": request_id, **(params or {})})
    body: dict[str, Any] = {
        "type": f"urn:qiyou:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = [
            {"field": e.field, "message": i18n.field_message(e.message, language)} for e in errors
        ]
    if extra:
        body.update(extra)
    if request_id:
        body["requestId"] = request_id
    response_headers = {"Content-Language": language, **(headers or {})}
    state[ANSWERED_STATUS] = status
    return Answer(
        content=msgspec.json.encode(body),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=response_headers,
    )


def _app_error_handler(request: Request[Any, Any, Any], exc: AppError) -> Response[bytes]:
    return problem_response(
        request,
        exc.status,
        exc.code,
        exc.params,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


_STATUS_CODES = {
    400: "error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")


def _validation_errors(
    request: Request[Any, Any, Any], exc: ValidationException
) -> list[FieldError]:
    if isinstance(exc.__cause__, KeyError) and exc.__cause__.args:
        # A required parameter is absent: Litestar's extractor fails on the wire name it looked
        # up (the alias), before any field is validated.
        return [FieldError(field=str(exc.__cause__.args[0]), message="required")]
    found: list[FieldError] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    aliases: dict[str, str] | None = None
    for item in extra:
        if not isinstance(item, dict):
            continue
        field = str(item.get("key") or item.get("source") or "body")
        message = str(item.get("message") or "invalid")
        if field == "data":
            field = "body"
        if item.get("source") != "body" and field != "body":
            # Litestar names a parameter by its Python name (``day``); the client knows it by
            # the name on the wire (``date``).
            if aliases is None:
                aliases = _parameter_aliases(request)
            head, dot, rest = field.partition(".")
            if head in aliases:
                found.append(FieldError(field=aliases[head] + dot + rest, message=message))
                continue
        # msgspec reports a missing member against the object that lacks it; the app wants
        # the member itself ("seatCount", not "body").
        missing = _MISSING_FIELD.search(message)
        if missing:
            parent = "" if field == "body" else field + "."
            field = parent + missing.group(1)
        found.append(FieldError(field=_camel_path(field), message=message))
    return found


def _parameter_aliases(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Python name → wire name of every parameter the route reads, its dependencies' included."""
    handler = request.scope.get("route_handler")
    if not isinstance(handler, HTTPRouteHandler):
        return {}
    model = handler.create_kwargs_model(
        path_parameters=dict.fromkeys(request.path_params)  # type: ignore[arg-type]
    )
    return {
        parameter.field_name: parameter.field_alias
        for parameters in (
            model.expected_query_params,
            model.expected_path_params,
            model.expected_header_params,
            model.expected_cookie_params,
        )
        for parameter in parameters
    }


_AT_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")


def body_errors(exc: msgspec.ValidationError) -> list[FieldError]:
    """A strict decoding's error, against the wire field it names (``memberIds[0]``, not ``$``).

    msgspec writes ``Expected `int`, got `str` - at `$.seats```, and reports a missing member
    against the object that lacks it (``Object missing required field `seats```)."""
    message = str(exc)
    at = _AT_PATH.search(message)
    path = at.group("path").removeprefix(".") if at else ""
    if at:
        message = message[: at.start()]
    missing = _MISSING_FIELD.search(message)
    if missing:
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
    return [FieldError(field=path or "body", message=message)]


def _camel_path(path: str) -> str:
    """Report field paths in the wire's camelCase (``$.display_name`` → ``displayName``)."""
    path = path.removeprefix("$.").removeprefix("data.")
    parts = []
    for part in path.split("."):
        head, *rest = part.split("_")
        parts.append(head + "".join(word[:1].upper() + word[1:] for word in rest))
    return ".".join(parts)


def _http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if isinstance(exc.__cause__, SerializationException):
        # Litestar wraps a body that does not decode (bad syntax, truncated, not UTF-8) in a
        # plain 400 whose text is msgspec's; the cause is what tells it apart.
        return problem_response(request, 400, "invalid_json")
    if isinstance(exc, ValidationException):
        errors = _validation_errors(request, exc)
        detail = str(exc.detail or "")
        if not errors and ("JSON" in detail or "decode" in detail.lower()):
            return problem_response(request, 400, "invalid_json")
        if not errors:
            errors = [FieldError(field="body", message=detail or "invalid")]
        return problem_response(request, 422, "validation_error", errors=errors)
    if isinstance(exc, NotAuthorizedException):
        return problem_response(
            request, 401, "unauthorized", headers={"WWW-Authenticate": "Bearer"}
        )
    if isinstance(exc, PermissionDeniedException):
        return problem_response(request, 403, "forbidden")
    if isinstance(exc, NotFoundException):
        return problem_response(request, 404, "not_found")
    if isinstance(exc, MethodNotAllowedException):
        return problem_response(request, 405, "method_not_allowed", headers=exc.headers or {})
    if status == 429:
        retry = (exc.headers or {}).get("Retry-After", "60")
        return problem_response(
            request, 429, "rate_limited", {"retryAfter": retry}, headers={"Retry-After": retry}
        )
    if status == 503:
        # Overload or maintenance, not a bug: say so, and let the client retry.
        return problem_response(request, 503, "service_unavailable", headers=exc.headers or {})
    if status >= 500:
        return _internal(request, exc)
    code = _STATUS_CODES.get(status, "error")
    return problem_response(request, status, code)


def _internal(request: Request[Any, Any, Any], exc: BaseException) -> Response[bytes]:
    request_id = request.scope.get("state", {}).get("request_id")
    log.error(
        "unhandled error",
        exc_info=exc,
        extra={"request_id": request_id, "path": request.url.path, "method": request.method},
    )
    return problem_response(request, 500, "internal_error")


# --- The database is unavailable: 503, one log line --------------------------------------------
#
# A database that is down, restarting, full of connections or too slow is not a bug of ours: the
# client should retry in a moment, and the operator needs to know it happened, not 30 lines of
# stack per request (an outage wrote 2,185 tracebacks, 13 MB, in 19 s). The failures reach us
# from two paths — SQLAlchemy's sessions (wrapped in its DBAPIError, the driver's exception as
# the cause) and the reads' own asyncpg pool (raw) — so they are recognised by walking the
# exception's causes, in one place.

# PostgreSQL's own "cannot serve you now" classes: 08 connection exceptions (a lost connection
# too), 53 insufficient resources (too many connections, disk full), 57 operator intervention
# (shutdown, restart, "starting up", a statement_timeout's cancel).
_UNAVAILABLE_SERVER_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.OperatorInterventionError,
    # No connection free in the SQLAlchemy pool within its timeout.
    sqlalchemy.exc.TimeoutError,
    # A server that accepts and never answers: the client-side connect or command timeout.
    TimeoutError,
)
# Retries spread over a few seconds, so that the phones do not all come back at once.
RETRY_AFTER_SECONDS = (2, 8)
_LOGGED_MESSAGE_CHARS = 200


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, what it wraps (SQLAlchemy's ``orig``, ``raise … from``, an exception raised while
    handling another) and, for an exception group, its members."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        orig = getattr(current, "orig", None)
        for inner in (orig, current.__cause__, current.__context__):
            if isinstance(inner, BaseException):
                pending.append(inner)


def _raised_in_the_driver(exc: BaseException) -> bool:
    """An ``OSError`` from a socket the driver opened or used, not from a file or another
    service: connection refused or reset, an unreachable host, a missing Unix socket."""
    traceback = exc.__traceback__
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if module.startswith(("asyncpg.", "sqlalchemy.")):
            return True
        traceback = traceback.tb_next
    return False


def database_unavailable(exc: BaseException) -> BaseException | None:
    """The exception that says the database cannot be reached or cannot serve now, if any."""
    for cause in _causes(exc):
        if isinstance(cause, _UNAVAILABLE_SERVER_ERRORS):
            return cause
        if isinstance(cause, sqlalchemy.exc.DBAPIError) and cause.connection_invalidated:
            return cause
        if isinstance(cause, OSError) and _raised_in_the_driver(cause):
            return cause
    return None


def _unavailable(request: Request[Any, Any, Any], cause: BaseException) -> Response[bytes]:
    request_id = request.scope.get("state", {}).get("request_id")
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    # One line, no traceback: the exception's class and the start of its message are all an
    # operator needs to tell a refused connection from a timeout or a full server.
    log.error(
        "database unavailable: %s: %s",
        type(cause).__name__,
        text[:_LOGGED_MESSAGE_CHARS],
        extra={
            "request_id": request_id,
            "path": request.url.path,
            "method": request.method,
        },
    )
    retry_after = str(random.randint(*RETRY_AFTER_SECONDS))
    return problem_response(
        request, 503, "service_unavailable", headers={"Retry-After": retry_after}
    )


def _unhandled_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    cause = database_unavailable(exc)
    if cause is not None:
        return _unavailable(request, cause)
    return _internal(request, exc)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    AppError: _app_error_handler,
    HTTPException: _http_exception_handler,
    Exception: _unhandled_handler,
}


def status_phrase(status: int) -> str:
    return HTTPStatus(status).phrase


# --- The errors in the OpenAPI document -------------------------------------------------------
#
# Litestar documents its own error shape (``status_code``/``detail``/``extra`` as JSON); the
# phone team's generated client must instead see what we answer: ``application/problem+json``.
# ``document_problems`` derives the usual statuses of every operation from the handler itself, so
# a domain declares only what is special to it (``responses=problem_responses(409)``).

_PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: the body is not valid JSON (`invalid_json`).",
    401: "Missing, invalid, expired or revoked access token (`unauthorized`).",
    403: "The caller's role may not do this (`forbidden`).",
    404: "No such object, or one that belongs to someone else (`not_found` or a specific code).",
    409: "The request conflicts with the current state.",
    413: "The body is larger than the server accepts (`payload_too_large`).",
    415: "The body is not `application/json` (`unsupported_media_type`).",
    422: "Invalid input: `validation_error` with `errors`, or a specific code.",
    429: "Too many requests: retry after the seconds in `Retry-After` (`rate_limited`, or the "
    "code of the limit).",
    500: "An unexpected error on our side (`internal_error`); quote `requestId` when reporting it.",
    503: "The service cannot answer right now, e.g. its database is unreachable: retry after "
    "the seconds in `Retry-After` (`service_unavailable`).",
}


# The codes any operation may answer with a status, whatever the domain: what the exception
# handlers above and the request machinery (bodies, auth, limits, the database) answer. An
# operation's document lists these and the codes its handler declares (``problem_responses``).
GENERIC_CODES: dict[int, tuple[str, ...]] = {
    400: ("invalid_json",),
    401: ("unauthorized",),
    403: ("forbidden",),
    404: ("not_found",),
    413: ("payload_too_large",),
    415: ("unsupported_media_type",),
    422: ("validation_error",),
    429: ("rate_limited",),
    500: ("internal_error",),
    503: ("service_unavailable",),
}
# What a shared parameter brings with it: a paged list's cursor, the Idempotency-Key header.
CURSOR_CODES: dict[int, tuple[str, ...]] = {422: ("invalid_cursor",)}
IDEMPOTENCY_CODES: dict[int, tuple[str, ...]] = {
    409: ("idempotency_request_in_progress",),
    422: ("idempotency_key_reused", "invalid_idempotency_key"),
}


@dataclass
class ProblemSpec(ResponseSpec):
    """A problem response of one status, with the stable ``code`` values it may carry."""

    codes: tuple[str, ...] = ()


def problem_responses(
    *statuses: int,
    describe: Mapping[int, str] | None = None,
    codes: Mapping[int, Sequence[str]] | None = None,
) -> dict[int, ResponseSpec]:
    """``responses=`` for a route handler: these statuses answer with a problem document.

    ``codes`` names, per status, the domain codes the operation may answer with (a status named
    there need not be repeated in ``statuses``); the OpenAPI document states them as the enum of
    ``code``. The generic codes of a status (``validation_error``, ``not_found``, …) are added
    by the document, not declared here.
    """
    described = {**_PROBLEM_DESCRIPTIONS, **(describe or {})}
    declared = {status: tuple(names) for status, names in (codes or {}).items()}
    return {
        status: ProblemSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=described.get(status, status_phrase(status)),
            generate_examples=False,
            codes=declared.get(status, ()),
        )
        for status in sorted({*statuses, *declared})
    }


def _problem_statuses(route: HTTPRoute, handler: Any) -> set[int]:
    statuses: set[int] = set()
    if not handler.opt.get("exclude_from_auth"):
        statuses.add(401)
    if handler.resolve_guards():
        statuses.add(403)
    if "{" in route.path:
        statuses.add(404)
    injected = set(handler.resolve_dependencies()) | RESERVED_KWARGS
    inputs = set(handler.parsed_fn_signature.parameters) - (injected - {"data"})
    if inputs:
        # Litestar answers bad parameters with a validation error; we map it to 400/422.
        statuses |= {400, 422}
    if "data" in inputs:
        statuses |= {413, 415}
    if "idempotency_key" in inputs:
        # A retry while the first request with the key still runs (idempotency's own 409).
        statuses.add(409)
    # Imported here: observability counts answers through metrics, which raise AppError.
    from backend.core.observability import OPERATIONAL_PATHS

    # Any handler can fail unexpectedly.
    statuses.add(500)
    if not route.path.startswith(OPERATIONAL_PATHS):
        # Whatever reaches the database answers 503 while it cannot be reached. And every API
        # operation may be limited: the limits are configuration (a per-account write limit
        # guards any route), so a client handles 429 on every call, not on a list it keeps.
        statuses |= {429, 503}
    return statuses


def declared_codes(handler: Any) -> dict[int, tuple[str, ...]]:
    """The codes a route handler declared per status with ``problem_responses(codes=...)``."""
    return {
        int(status): spec.codes
        for status, spec in (handler.responses or {}).items()
        if isinstance(spec, ProblemSpec) and spec.codes
    }


def document_problems(app: Litestar) -> None:
    """Declare the problem responses of every operation of ``app`` in its OpenAPI document.

    Statuses a handler declares itself keep its description; the rest are derived: 401 unless
    the route is public, 403 when it has guards, 404 when its path has parameters, 400/422 when
    it takes input, 413 and 415 when it takes a body, 500 always, 429 and 503 unless it is a
    health check or the metrics.
    """
    for route, handler in http_handlers(app):
        if not handler.resolve_include_in_schema():
            continue
        derived = problem_responses(*sorted(_problem_statuses(route, handler)))
        handler.responses = {**derived, **(handler.responses or {})}
