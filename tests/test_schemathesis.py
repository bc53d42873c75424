"""Property-based contract tests: Schemathesis 4 runs every phase it has against the app's own
OpenAPI document, with every check it has, as a resident and as a staff member.

Phases, per audience:

- examples, coverage and fuzzing, for each operation the audience may call: the document's
  examples, Schemathesis's own deterministic boundary and negative cases (missing and malformed
  parameters, wrong types and media types, methods the path does not declare, ...), then
  generated requests, valid and invalid;
- stateful: scenarios that chain operations through the links Schemathesis infers from the
  document (an id one answer returns is the path parameter of the next call), a bounded number of
  steps each.

Every answer goes through every check the installed Schemathesis registers (``ALL_CHECKS``).
One is narrowed: positive_data_acceptance passes over refusals by rules JSON Schema cannot
state (``RULE_REFUSALS``, ``CROSS_FIELD_RULES``). Any 5xx fails the test; so does any failure
not listed in ``PENDING``, the failures found on the app as it is, each until its fix lands.

The app runs in the test's event loop on its per-test database, as in every API test. Hypothesis
runs in a worker thread and reaches the app through a2wsgi's ASGI-to-WSGI bridge bound to that
loop (``run_coroutine_threadsafe``), which Schemathesis drives as an in-process WSGI app, so the
checks that send requests of their own (the auth probes, the content-type controls) reach the
same app too. Failures are collected rather than raised, so one run reports all of them, grouped
by operation and check, each with one request that reproduces it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID, uuid4

import httpx
import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from a2wsgi import ASGIMiddleware
from hypothesis import HealthCheck, Phase
from litestar import Litestar, get, post
from litestar.exceptions import NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath
from schemathesis.checks import (
    CHECKS,
    CheckContext,
    CheckFunction,
    is_check_class,
    load_all_checks,
)
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.mutations import OperatorKind
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi import checks as builtin_checks
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.auth import Role, RoleGuard, optional_user
from backend.core.routing import http_handlers
from backend.notifications import service as notifications
from backend.notifications.messages import register_kinds
from tests.conftest import running
from tests.factories import MakeUser

Sessions = async_sessionmaker[AsyncSession]
Key = tuple[str, str]

pytestmark = pytest.mark.schemathesis

# Generated requests per operation after the examples and the coverage cases; the coverage phase
# is deterministic and sized by the operation itself.
FUZZED_PER_OPERATION = 12
STATEFUL_SCENARIOS = 50
STATEFUL_STEPS = 6
STATEFUL_MAX_SUITES = 10
# Each audience's operations are fuzzed in this many tests, each over every n-th operation, and
# the stateful chains in one more: one test per audience took two minutes alone at the end of
# the suite while the other workers idled.
OPERATION_SHARDS = 4
PARTS = (*(f"operations-{n}" for n in range(OPERATION_SHARDS)), "stateful")

load_all_checks()

# positive_data_acceptance holds a request the document calls valid to be accepted. These
# refusals come from rules JSON Schema cannot state, so for them it cannot hold, on whichever
# operation enforces the rule; every other refusal of valid data still fails.
RULE_REFUSALS: dict[str, str] = {
    # A code is valid only if it was sent to that phone.
    "sms_code_invalid": "SMS codes are issued by the server",
    # Opaque by contract (API.md): only a cursor the server issued is valid.
    "invalid_cursor": "cursors are issued by the server",
    # The ID number's region code and check digit (GB 11643) are beyond a pattern.
    "invalid_id_number": "resident ID numbers with a valid region and check digit",
    # Venues are assigned to workers only: a rule about the account the path's id names.
    "not_a_worker": "venues are assigned to worker accounts",
    # Strength is judged against common passwords and the account's phone (API.md: 422).
    "weak_password": "password strength",
    # Not before 1900 and not after today: relative to the day of the request.
    "invalid_birth_date": "birth dates between 1900 and today",
    # Each day's opening must come before its closing: a rule across two fields.
    "invalid_opening_hours": "opening before closing",
    # A room's shortest and longest booking are whole multiples of its slot and the shortest is
    # not longer than the longest: rules across three fields (seen in a stateful run in CI).
    "invalid_room_rules": "booking lengths on the room's slot grid",
    # An Idempotency-Key names one request: the generator draws short keys ("0") again for
    # other bodies, which the server rightly refuses (a rule across requests, API.md).
    "idempotency_key_reused": "one Idempotency-Key per request body",
    # Members are named by the ids of the caller's own household: state no schema states.
    # (Checked before the event is looked up since issue 12, so a generated event id no longer
    # hides it behind a 404.)
    "unknown_member": "member ids of the caller's household",
    # A care profile is for a member aged 60 or more: the member's birth date is state.
    "not_an_elder": "care profiles of the household's elders",
    # The canteen: whether a meal's cutoff has passed, its portions are left, a diner already
    # ordered, an elder's care profile allows delivery to a home inside the area, and an
    # order's state at the counter are state no schema states; a meal slot taken, a cutoff in
    # the past and a pickup code are relative to what exists and to the day of the request.
    "order_closed": "meals whose cutoff has not passed",
    "sold_out": "meals with portions left",
    "already_ordered": "one order per diner and meal",
    "delivery_not_allowed": "delivery for elders whose care profile allows it",
    "outside_delivery_area": "homes inside the canteen's delivery area",
    "order_already_cancelled": "orders not yet cancelled",
    "order_not_cancellable": "orders not yet handed over",
    "pickup_code_not_found": "pickup codes are issued by the server",
    "already_collected": "orders not yet handed over",
    "order_cancelled": "orders not cancelled",
    "not_meal_day": "orders handed over on the meal's day",
    "not_a_delivery": "delivery orders",
    "meal_exists": "one open lunch and dinner per canteen and day",
    "meal_in_past": "meals whose cutoff is still ahead",
    "meal_already_cancelled": "meals not yet cancelled",
    "meal_served": "meals still being served",
    "unknown_venue": "venue ids of existing venues",
    "unknown_canteen": "canteen ids of existing canteens",
    # One account per ID number: a valid number drawn twice (or already verified) is state.
    "id_number_registered": "one account per resident ID number",
    # A check-in is for an elder whose care profile has the daily check-in on: state.
    "check_in_not_enabled": "check-ins of elders whose daily check-in is on",
    # A care order needs the elder's care profile, a time relative to now, and a provider that
    # offers the service (API.md, "Elderly care"): state no schema states.
    "care_profile_missing": "care orders for elders with a care profile",
    "too_soon": "care visits at least 30 minutes ahead",
    "too_far": "care visits at most 60 days ahead",
    "unknown_care_provider": "care providers that exist",
    "service_not_offered": "a provider that offers the service",
    "no_care_provider": "a service some provider offers",
    # Cancelling depends on the order's status and the time left before the visit.
    "cancel_too_late": "cancelling until two hours before the visit",
    # ... and the steps of a visit: its status and the time of its start (visits).
    "care_order_invalid_status": "the order's status allows the step",
    # A visit's steps follow its order's status and the time of its start: state and the clock.
    "too_early_to_check_in": "check-in from 60 minutes before the visit",
    "visit_missed": "check-in until 30 minutes after the start",
    "visit_already_checked_in": "one check-in per visit",
    "visit_already_checked_out": "one check-out per visit",
    "too_early_to_set_out": "on the way from two hours before the visit",
    "already_on_the_way": "on the way once per assignment",
    # Childcare's door: a child's age, the session's day, the enrolment, the check-in's code
    # and the trusted person's ID digits are all state no schema states.
    "not_a_child": "enrolments, pickup lists and notes of the household's children",
    "session_not_today": "check-in and check-out on the session's day",
    "child_not_enrolled": "children enrolled in the program",
    "security_code_mismatch": "the code the check-in issued",
    "pickup_id_mismatch": "the ID digits the guardians registered",
    "pickup_not_authorized": "people the guardians did not block",
    "unknown_pickup": "people on the child's list",
    "pickup_proof_required": "a code, or a trusted person with their ID digits",
    "absence_date_invalid": "a coming session of the enrolment's program",
    # Childcare applications: the caller's verification, the child's birth date against the
    # program's ages, and the program's window are state no schema states.
    "verification_required": "applications by verified residents",
    "age_not_eligible": "children of the program's ages",
    "applications_not_open": "applications inside the program's window",
    "applications_closed": "applications inside the program's window",
}
# Refused by a request struct's own cross-field rule (an end after its start, registration
# closing before the event starts, seats within capacity, a window relative to today), which
# Litestar answers as a validation_error naming these fields.
CROSS_FIELD_RULES = frozenset(
    {
        "startsAt",
        "endsAt",
        "registrationOpensAt",
        "registrationClosesAt",
        "maxSeatsPerRegistration",
        # More household members named than seats asked for (registerForEvent).
        "memberIds",
        "from",
        "to",
        "date",
        # The canteen: a week within the years a canteen serves (as from/to/date), a cutoff
        # before the end of serving, a tier named once, and a canteen when a reminder is on.
        "week",
        "orderCutoff",
        "subsidies",
        "canteenId",
        # A trusted pickup person (not ``blocked``) has ID digits to prove (addChildPickup).
        "idLast4",
        # A childcare program: a hub room of the named venue (state), ordered ages, term and
        # window, each slot ending after it starts, dates within 2000-2199 (createChildcareProgram).
        "roomId",
        "venueId",
        "maxAgeMonths",
        "ageOn",
        "termStarts",
        "termEnds",
        "applicationOpensAt",
        "applicationClosesAt",
        "schedule",
    }
)


def _refused_by_a_rule(response: Response) -> bool:
    code, fields = _problem(response)
    if code in RULE_REFUSALS:
        return True
    return code == "validation_error" and bool(fields) and fields <= CROSS_FIELD_RULES


def positive_data_acceptance(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Schemathesis's check, less the refusals of ``RULE_REFUSALS`` and ``CROSS_FIELD_RULES``."""
    if _refused_by_a_rule(response):
        return None
    return builtin_checks.positive_data_acceptance(ctx, response, case)


# The complete list, from the installed Schemathesis: a new check joins by itself.
# object_level_authorization is among them but acts only with several identities configured
# through Schemathesis's [auth.wfc]; one resident reaching another's objects (404) is asserted
# by the authorization matrix in tests/api/test_authz_*.py.
ALL_CHECKS: list[CheckFunction] = [
    positive_data_acceptance if c is builtin_checks.positive_data_acceptance else c
    for c in CHECKS.get_all()
    if not is_check_class(c)
]

# Each audience calls an operation as the first role in its list that the operation admits.
# Operations no role of an audience admits are left out of that audience's run: their 401/403
# answers are asserted role by role, endpoint by endpoint, in tests/api/test_authz_*.py, and
# fuzzing them here would only send every generated request into the same 403.
AUDIENCES: dict[str, tuple[Role, ...]] = {
    "resident": (Role.RESIDENT,),
    # "Staff member" as the design uses it: whoever works in the app's staff mode.
    "staff": (Role.STAFF, Role.ADMIN, Role.WORKER),
}
ANONYMOUS_WITH = "resident"
# Ends the caller's own session, after which every later call would be a 401.
SPARED = {("POST", "/api/v1/auth/logout")}


# Fields the app refuses with rules its document does not state (see PENDING).
UNSTATED_FIELDS = (
    "name",
    "displayName",
    r"amenities\[\d+\]",
    "cancelCutoffMinutes",
    "bookableDaysAhead",
)


def _refused_fields(*fields: str) -> str:
    """A validation_error naming one of ``fields``, maybe beside other refused fields."""
    named = "|".join(fields)
    allowed = "|".join([*UNSTATED_FIELDS, *sorted(CROSS_FIELD_RULES)])
    return rf"validation_error\((?=(.*,)?({named})(,|\)))(({allowed}),?)+\)"


@dataclass(frozen=True)
class Pending:
    """A failure this test finds on the app as it is, until the fix named here lands."""

    why: str
    check: str
    # A regular expression over the problem code and the fields it names, "code(field,...)".
    code: str = ".*"
    status: int | None = None

    def covers(self, finding: Finding) -> bool:
        return (
            finding.check == self.check
            and re.fullmatch(self.code, finding.code) is not None
            and (self.status is None or finding.status == self.status)
        )


# Failures found on the app as it is, each until its fix lands (with the first of them, an
# xfail mark on the test below). None is pending: every failure fails the test.
PENDING: tuple[Pending, ...] = ()


class PendingFixError(AssertionError):
    """Every failure found is one of ``PENDING``: the test is an expected failure until then."""


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


@dataclass
class Finding:
    """One check failing on one operation: how often, and the first request that showed it."""

    operation: str
    check: str
    title: str
    phase: str
    role: str
    request: str
    status: int
    code: str
    message: str
    count: int = 1


@dataclass
class Findings:
    """What the checks found, grouped by operation and kind of failure; shared by threads."""

    groups: dict[tuple[str, str, int, str], Finding] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, failure: Failure, case: Case, response: Response, phase: str, role: str) -> None:
        operation = failure.operation or case.operation.label
        check = type(failure).__name__
        code = _problem_code(response)
        key = (operation, check, response.status_code, code)
        with self.lock:
            if key in self.groups:
                self.groups[key].count += 1
                return
            self.groups[key] = Finding(
                operation=operation,
                check=check,
                title=failure.title,
                phase=phase,
                role=role,
                request=_describe(response),
                status=response.status_code,
                code=code,
                message=failure.message.strip() + _problem_errors(response),
            )

    def report(self) -> str:
        lines = []
        for finding in sorted(self.groups.values(), key=lambda f: (f.operation, f.check)):
            lines.append(
                f"{finding.operation} — {finding.check}: {finding.title} "
                f"(x{finding.count}, {finding.phase}, as {finding.role})\n"
                f"  {finding.request}\n  → {finding.status} {finding.code}: {finding.message[:600]}"
            )
        return "\n\n".join(lines)


def _problem(response: Response) -> tuple[str, frozenset[str]]:
    """The stable error code of a problem answer and the fields it names: which rule refused."""
    try:
        body = response.json()
    except ValueError:
        return "", frozenset()
    if not isinstance(body, dict):
        return "", frozenset()
    fields = {str(e.get("field")) for e in body.get("errors") or [] if isinstance(e, dict)}
    return str(body.get("code", "")), frozenset(fields)


def _problem_errors(response: Response) -> str:
    """What a validation problem says about each field, to tell the rule that refused."""
    try:
        body = response.json()
    except ValueError:
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        return ""
    return "\nThe app: " + "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors)


def _problem_code(response: Response) -> str:
    code, fields = _problem(response)
    return f"{code}({','.join(sorted(fields))})" if fields else code


def _describe(response: Response) -> str:
    """The request that got this response, without the bearer token (it says nothing here)."""
    request = response.request
    body = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    headers = {
        name: value
        for name, value in request.headers.items()
        if name.lower() not in {"authorization", "user-agent", "accept-encoding", "connection"}
        and name.lower() not in {"accept", "content-length"}
    }
    text = f"{request.method} {request.url}"
    if headers:
        text += f" headers={headers}"
    if body:
        text += f" body={str(body)[:300]}"
    if "authorization" not in {name.lower() for name in request.headers}:
        text += " (no token)"
    return text


def _admitted_roles(app: Litestar) -> dict[Key, frozenset[Role] | None]:
    """The roles each operation admits; ``None`` for public operations."""
    admitted: dict[Key, frozenset[Role] | None] = {}
    for route, handler in http_handlers(app):
        # OpenAPI writes "{id}" where Litestar writes "{id:uuid}".
        path = _openapi_path(route.path)
        guards = [g.roles for g in handler.resolve_guards() if isinstance(g, RoleGuard)]
        roles: frozenset[Role] | None = None
        if not handler.opt.get("exclude_from_auth"):
            roles = frozenset.intersection(*guards) if guards else frozenset(Role)
        reads_token = any(
            provider.dependency is optional_user
            for provider in handler.resolve_dependencies().values()
        )
        if reads_token:
            roles = frozenset(Role)
        for method in handler.http_methods:
            admitted[(method, path)] = roles
    return admitted


def _openapi_path(path: str) -> str:
    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)


@dataclass
class Audience:
    """Who calls what: the role (and so the token) for each operation one audience may call."""

    name: str
    callers: dict[Key, Role | None]
    tokens: dict[Role, dict[str, str]]

    @classmethod
    def of(cls, name: str, app: Litestar, tokens: dict[Role, dict[str, str]]) -> Audience:
        callers: dict[Key, Role | None] = {}
        for key, admitted in _admitted_roles(app).items():
            if key in SPARED:
                continue
            if admitted is None:
                # Public: the same for everyone, and no token is sent; run once, not per audience.
                if name == ANONYMOUS_WITH:
                    callers[key] = None
                continue
            role = next((r for r in AUDIENCES[name] if r in admitted), None)
            if role is not None:
                callers[key] = role
        return cls(name=name, callers=callers, tokens=tokens)

    def key(self, operation: APIOperation) -> Key:
        return (operation.method.upper(), operation.path)

    def admits(self, operation: APIOperation) -> bool:
        return self.key(operation) in self.callers

    def headers(self, operation: APIOperation) -> dict[str, str]:
        role = self.callers.get(self.key(operation))
        # Schemathesis reads a WSGI answer's bytes as they come and does not undo gzip, which
        # the app applies to answers of 2 kB and more when the client accepts it (requests
        # always says it does). Compression has tests of its own (test_wire_headers.py).
        plain = {"Accept-Encoding": "identity"}
        return plain if role is None else {**plain, **self.tokens[role]}

    def role(self, operation: APIOperation) -> str:
        role = self.callers.get(self.key(operation))
        return "anonymous" if role is None else role.value


def _sent_headers(case: Case, headers: dict[str, str]) -> dict[str, str]:
    """The caller's headers, less those a negative case left out on purpose.

    Schemathesis keeps a header it removed from being added back only when the header is the
    one location it negated; a case that also negated the query would otherwise go out with
    the token it was generated without, and be judged as if the token were missing.
    """
    if case.meta is None or not case.meta.generation.mode.is_negative:
        return headers
    left_out: set[str] = set()
    for mutation in getattr(case.meta.phase.data, "mutations", None) or ():
        if mutation.parameter_location != ParameterLocation.HEADER or mutation.path:
            continue
        removes = mutation.operator == OperatorKind.REMOVE_REQUIRED_PROPERTY or (
            mutation.operator == OperatorKind.NEGATE_CONSTRAINTS and "required" in mutation.keywords
        )
        if not removes:
            continue
        if mutation.parameter is not None:
            left_out.add(mutation.parameter.lower())
        elif isinstance(mutation.original_value, list):
            present = {name.lower() for name in case.headers or {}}
            left_out.update(
                name.lower()
                for name in mutation.original_value
                if isinstance(name, str) and name.lower() not in present
            )
    return {name: value for name, value in headers.items() if name.lower() not in left_out}


def _validate(
    case: Case,
    response: Response,
    headers: dict[str, str],
    findings: Findings,
    phase: str,
    role: str,
    recorder: Any = None,
) -> None:
    try:
        case.validate_response(
            response,
            checks=ALL_CHECKS,
            headers=headers,
            transport_kwargs={"headers": headers},
            recorder=recorder,
        )
    except FailureGroup as group:
        for failure in group.exceptions:
            findings.add(failure, case, response, phase, role)


def _exercise(
    audience: Audience, operation: APIOperation, findings: Findings, settings: hypothesis.settings
) -> Callable[[Case], None]:
    headers = audience.headers(operation)
    role = audience.role(operation)

    # Set on the function too: Hypothesis has no default profile in a worker thread.
    @settings
    def exercise(case: Case) -> None:
        sent = _sent_headers(case, headers)
        response = case.call(headers=sent)
        phase = case.meta.phase.name.value if case.meta is not None else "explicit"
        _validate(case, response, sent, findings, phase, role)

    return exercise


def run_operation_phases(
    schema: BaseSchema,
    audience: Audience,
    findings: Findings,
    fuzzed: int,
    shard: tuple[int, int] = (0, 1),
) -> None:
    """Examples, coverage and fuzzing for every operation the audience may call; with
    ``shard`` (n, count), for every count-th of them from the n-th, in the document's order."""
    settings = hypothesis.settings(
        max_examples=fuzzed,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    admitted = (result.ok() for result in schema.get_all_operations())
    operations = [operation for operation in admitted if audience.admits(operation)]
    for operation in operations[shard[0] :: shard[1]]:
        test = create_test(
            operation=operation,
            test_func=_exercise(audience, operation, findings, settings),
            config=HypothesisTestConfig(
                project=schema.config,
                modes=[
                    HypothesisTestMode.EXAMPLES,
                    HypothesisTestMode.COVERAGE,
                    HypothesisTestMode.FUZZING,
                ],
                settings=settings,
            ),
        )
        test()


def run_stateful_phase(
    schema: BaseSchema, audience: Audience, findings: Findings, scenarios: int, steps: int
) -> None:
    """Chains of calls along the inferred links, within what the audience may call."""
    scoped = schema.include(func=lambda ctx: audience.admits(ctx.operation))
    machine = scoped.as_state_machine()
    started = 0

    class AsAudience(machine):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            nonlocal started
            started += 1

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"headers": _sent_headers(case, audience.headers(case.operation))}

        def validate_response(
            self,
            response: Response,
            case: Case,
            additional_checks: Iterable[CheckFunction] | None = None,
            **kwargs: Any,
        ) -> None:
            headers = kwargs.get("headers") or {}
            _validate(
                case,
                response,
                headers,
                findings,
                "stateful",
                audience.role(case.operation),
                recorder=self.recorder,
            )

    # Each scenario leaves its rows behind, so Hypothesis replaying a prefix may find other
    # links to follow and give up with Flaky; as Schemathesis's own runner does, that ends the
    # suite and a new one starts from another seed, until the scenarios are spent.
    for seed in range(STATEFUL_MAX_SUITES):
        if started >= scenarios:
            break
        suite = hypothesis.seed(seed)(AsAudience)
        with contextlib.suppress(hypothesis.errors.Flaky):
            suite.run(
                settings=hypothesis.settings(
                    max_examples=scenarios - started,
                    stateful_step_count=steps,
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
    # Links that no longer lead anywhere would silently make this phase a no-op.
    assert started >= scenarios, f"only {started} stateful scenario(s) ran"


def run_contract(
    raw_schema: dict[str, Any],
    app: Litestar,
    loop: asyncio.AbstractEventLoop,
    audience: Audience,
    *,
    fuzzed: int = FUZZED_PER_OPERATION,
    scenarios: int = STATEFUL_SCENARIOS,
    steps: int = STATEFUL_STEPS,
    shard: tuple[int, int] = (0, 1),
) -> Findings:
    """Every phase against ``app``; to be called from a worker thread, never from ``loop``.

    ``fuzzed=0`` leaves out the per-operation phases, ``scenarios=0`` the stateful one.
    """
    schema = schemathesis.openapi.from_dict(raw_schema)
    # Schemathesis drives a WSGI callable in-process; this one runs the ASGI app in ``loop``.
    schema.app = ASGIMiddleware(app, loop=loop)  # type: ignore[arg-type]
    findings = Findings()
    if fuzzed:
        run_operation_phases(schema, audience, findings, fuzzed, shard)
    if scenarios:
        run_stateful_phase(schema, audience, findings, scenarios, steps)
    return findings


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("audience_name", sorted(AUDIENCES))
async def test_every_operation_keeps_its_contract(
    audience_name: str,
    part: str,
    app: Litestar,
    client: httpx.AsyncClient,  # runs the app's lifespan for the whole test
    make_user: MakeUser,
    db: Sessions,
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
    audience = Audience.of(audience_name, app, tokens)
    loop = asyncio.get_running_loop()
    if part == "stateful":
        phases: dict[str, Any] = {"fuzzed": 0}
    else:
        phases = {
            "scenarios": 0,
            "shard": (int(part.removeprefix("operations-")), OPERATION_SHARDS),
        }
    findings = await asyncio.to_thread(
        run_contract, app.openapi_schema.to_schema(), app, loop, audience, **phases
    )
    new = Findings(
        groups={
            key: finding
            for key, finding in findings.groups.items()
            if not any(pending.covers(finding) for pending in PENDING)
        }
    )
    if new.groups:
        pytest.fail(
            f"{len(new.groups)} contract failure(s) as {audience_name} ({part}):\n\n"
            + new.report(),
            pytrace=False,
        )
    if findings.groups:
        raise PendingFixError(
            f"{len(findings.groups)} known contract failure(s) as {audience_name}:\n\n"
            + findings.report()
        )


# The self-checks: the harness above must fail on a 5xx, in either kind of phase.


@get("/api/v1/broken", operation_id="Broken", exclude_from_auth=True, sync_to_thread=False)
def _broken() -> dict[str, str]:
    raise RuntimeError("the self-check's deliberate bug")


async def test_a_server_error_fails_the_contract() -> None:
    broken = Litestar([_broken], debug=False)
    audience = Audience(name="resident", callers={("GET", "/api/v1/broken"): None}, tokens={})
    loop = asyncio.get_running_loop()
    async with running(broken):
        findings = await asyncio.to_thread(
            run_contract,
            broken.openapi_schema.to_schema(),
            broken,
            loop,
            audience,
            fuzzed=2,
            scenarios=0,
        )
    errors = [f for f in findings.groups.values() if f.check == "ServerError" and f.status == 500]
    assert errors, findings.report()
    # Nothing pending may excuse a 5xx.
    assert not any(pending.covers(error) for error in errors for pending in PENDING)


_made: set[UUID] = set()


@dataclass
class Thing:
    id: UUID


@post("/api/v1/things", operation_id="MakeThing", exclude_from_auth=True, sync_to_thread=False)
def _make_thing() -> Thing:
    made = Thing(id=uuid4())
    _made.add(made.id)
    return made


@get(
    "/api/v1/things/{thing_id:uuid}",
    operation_id="GetThing",
    exclude_from_auth=True,
    sync_to_thread=False,
    responses={404: ResponseSpec(None, description="No such thing")},
)
def _get_thing(thing_id: FromPath[UUID]) -> Thing:
    if thing_id not in _made:
        raise NotFoundException()
    # Only an id the app made gets here: only a scenario that follows the link finds the bug.
    raise RuntimeError("the self-check's deliberate bug")


async def test_a_server_error_down_a_link_fails_the_contract() -> None:
    app = Litestar([_make_thing, _get_thing], debug=False)
    callers: dict[Key, Role | None] = {
        ("POST", "/api/v1/things"): None,
        ("GET", "/api/v1/things/{thing_id}"): None,
    }
    audience = Audience(name="resident", callers=callers, tokens={})
    loop = asyncio.get_running_loop()
    async with running(app):
        findings = await asyncio.to_thread(
            run_contract, app.openapi_schema.to_schema(), app, loop, audience, fuzzed=0, scenarios=5
        )
    linked = "GET /api/v1/things/{thing_id}"
    assert any(
        f.check == "ServerError" and f.phase == "stateful" and f.operation == linked
        for f in findings.groups.values()
    ), findings.report()
