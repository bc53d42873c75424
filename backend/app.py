"""create_app(settings): the one place where the service is wired together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar, Request, Router
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, Contact, License, SecurityScheme, Server, Tag
from litestar.types import ASGIApp

from backend.assisted import audit as assisted_audit
from backend.assisted import routes as assisted_routes
from backend.canteen import routes as canteen_routes
from backend.catalog import routes as catalog_routes
from backend.childcare import late_pickup as _late_pickup  # noqa: F401  (registers its job)
from backend.childcare import routes as childcare_routes
from backend.childcare import routes_attendance as childcare_attendance_routes
from backend.childcare import routes_pickups as childcare_pickup_routes
from backend.config import Settings
from backend.core import health
from backend.core.admission import admission_gate
from backend.core.auth import (
    AuthUser,
    build_jwt_auth,
    document_security,
    skip_authentication_on_public_routes,
)
from backend.core.bodies import JsonBodyRequest
from backend.core.clock import Clock, clock_of
from backend.core.compression import compression_config, mark_public_reads
from backend.core.cors import ProblemCORS, cors_config
from backend.core.database import resolve_database_url
from backend.core.errors import EXCEPTION_HANDLERS, document_problems
from backend.core.i18n import request_language
from backend.core.metrics import metrics_controller
from backend.core.observability import (
    AccessLog,
    BeforeRouting,
    access_log,
    echo_request_id,
    observed_requests,
    structlog_plugin,
)
from backend.core.openapi_schema import (
    ConstrainedStructSchemaPlugin,
    ContractOpenAPIConfig,
    contract_finisher,
)
from backend.core.responses import Answer
from backend.core.routing import (
    answer_head_like_get,
    answer_options_for_whole_paths,
    guard_without_copying_the_handler,
    resolve_exception_handlers_once,
)
from backend.eldercare import routes as eldercare_routes
from backend.events import routes as events_routes
from backend.hub import routes as hub_routes
from backend.identity import routes as identity_routes
from backend.jobs import housekeeping as _housekeeping  # noqa: F401  (registers its job)
from backend.jobs import routes as jobs_routes
from backend.notifications import reminders as _reminders  # noqa: F401  (registers its job)
from backend.notifications import routes as notification_routes
from backend.resources import Resources, bind, request_sessions, serving
from schemas.common import PROBLEM_MEMBERS, wire_types

API_PREFIX = "/api/v1"
VERSION = "0.1.0"


def _api_router(settings: Settings) -> Router:
    handlers: list[Any] = [
        *identity_routes.ROUTES,
        *catalog_routes.ROUTES,
        *notification_routes.ROUTES,
        *hub_routes.ROUTES,
        *events_routes.ROUTES,
        *jobs_routes.ROUTES,
        *eldercare_routes.ROUTES,
        *canteen_routes.ROUTES,
        *assisted_routes.ROUTES,
        *childcare_routes.ROUTES,
        *childcare_pickup_routes.ROUTES,
        *childcare_attendance_routes.ROUTES,
    ]
    if settings.dev_routes_enabled:
        # Development helpers (the SMS outbox: anyone's login code) exist only where the mode
        # was chosen, or the server is reachable from its own machine alone (config.py).
        handlers.extend(identity_routes.DEV_ROUTES)
        handlers.extend(notification_routes.DEV_ROUTES)
    return _FreshRouter(path=API_PREFIX, route_handlers=handlers)


class _FreshRouter(Router):
    """A router built for one app and registered once.

    Litestar deep-copies a router when an app registers it, in case one router object serves
    several apps. Ours is built anew by each ``create_app``, and the copy of its ~800 handlers was
    a fifth of the cost of building the app (paid at every start and by every test's app).
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> _FreshRouter:
        return self


# Every tag an operation carries, declared once with what it groups (tests/test_openapi.py checks
# that the two lists agree).
TAGS = [
    Tag(
        name="identity",
        description="Accounts, login, tokens, the caller's sessions, "
        "real-name verification and household members.",
    ),
    Tag(name="admin", description="Staff accounts and their roles (admins only)."),
    Tag(
        name="catalog", description="The seven programs (七优), their services and the home screen."
    ),
    Tag(
        name="notifications",
        description="The caller's inbox, their phones that receive pushes and their push settings.",
    ),
    Tag(
        name="hub",
        description="The three-in-one community hub: venues, rooms, closures, "
        "availability and bookings.",
    ),
    Tag(
        name="events",
        description="艳阳高照 cultural events: publishing, registrations, the "
        "waitlist, tickets and check-in.",
    ),
    Tag(
        name="eldercare",
        description="优养 elderly care: care providers and their staff, the services "
        "catalogue, elders' care profiles and subsidies, the daily check-in (平安报) and "
        "its alerts.",
    ),
    Tag(
        name="assisted",
        description="Elders without a phone: assisted resident accounts, community workers "
        "acting for them, and the record of who acted for whom.",
    ),
    Tag(
        name="childcare",
        description="一小 · 优教 childcare: programs and their sessions, applications, "
        "the lottery's draw, offers and the waitlist; trusted pickup people, the session "
        "roster, check-in and check-out, absences and attendance.",
    ),
    Tag(
        name="canteen",
        description="长者食堂 the elders' canteen: canteens, meals and their portions, meal "
        "orders with subsidies, the counter, deliveries and monthly statements.",
    ),
    Tag(
        name="development",
        description="Helpers for local development and tests; absent in production.",
    ),
    Tag(name="health", description="Liveness and readiness probes for the load balancer."),
]


def _openapi_config() -> ContractOpenAPIConfig:
    return ContractOpenAPIConfig(
        title="Qiyou API (七优)",
        version=VERSION,
        description=(
            "Resident services of the Gaozhao sub-district: identity, the seven programs, "
            "the three-in-one community hub, 艳阳高照 cultural events and the inbox. "
            "Errors are application/problem+json with a stable `code`."
        ),
        # Who answers for the contract, and that it is no open-source API (linters ask for both).
        contact=Contact(name="Qiyou backend team, Gaozhao sub-district (高照街道)"),
        license=License(name="Proprietary: for the Qiyou phone apps only"),
        path="/schema",
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        servers=[Server(url="/")],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="The accessToken from login, register or refresh.",
                )
            }
        ),
        tags=TAGS,
        use_handler_docstrings=True,
        create_examples=False,
    )


async def _provide_user(request: Request[Any, Any, Any]) -> AuthUser:
    # The parameter must be called ``request``: Litestar injects only reserved names, and any
    # other (``connection``) became a required query parameter of every authenticated route.
    user = request.scope.get("user")
    if not isinstance(user, AuthUser):
        raise NotAuthorizedException()
    return user


def _outside_authentication(log: AccessLog | None) -> Callable[[AppConfig], AppConfig]:
    """Put the request id, the access log and the metrics in front of the JWT middleware (which
    inserts itself first): a refused token must still be logged, counted and carry its id."""

    def on_app_init(app_config: AppConfig) -> AppConfig:
        app_config.middleware.insert(0, observed_requests(log))
        return app_config

    return on_app_init


def _outermost(app: Litestar, settings: Settings, log: AccessLog | None) -> ASGIApp:
    """What Litestar puts around its router (the exception handler, CORS), and around that the
    request id, log and metrics of what never reaches a route (a 404, a 405, a preflight)."""
    handler: ASGIApp = app.asgi_handler
    if settings.cors_origins:
        # Ours instead of Litestar's (which is why the app gets no ``cors_config``): a refused
        # preflight is a problem document.
        handler = ProblemCORS(handler, cors_config(settings.cors_origins))
    return BeforeRouting(handler, access_log=log)


def create_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    clock: Clock | None = None,
) -> Litestar:
    """The service: the app's shape bound to its resources (backend/resources.py)."""
    settings = settings or Settings.from_env()
    app = build_app(settings)
    url = database_url or resolve_database_url(settings)
    bind(app, Resources.build(settings, url, clock or Clock()))
    return app


def _provide_settings(request: Request[Any, Any, Any]) -> Settings:
    # Read from the app at each request, not captured when the app was built: an app is bound
    # to its resources after it is built (and the tests bind it anew for each test).
    return cast(Settings, request.app.state.settings)


def _provide_clock(request: Request[Any, Any, Any]) -> Clock:
    return clock_of(request)


def build_app(settings: Settings) -> Litestar:
    """The app's shape, from the settings alone: it serves once ``bind`` has given it its
    resources (the database, the clock and what is built on them)."""
    jwt_auth = build_jwt_auth(settings)
    requests_log = access_log(settings)
    operational: list[Any] = list(health.ROUTES)
    if settings.metrics_enabled:
        operational.append(metrics_controller(settings))
    app = Litestar(
        route_handlers=[_api_router(settings), *operational],
        plugins=[
            # Every write made with an acting token is recorded beside the action
            # (backend/assisted).
            # Its one ``before_send`` hook also puts the request id on every answer.
            SQLAlchemyPlugin(
                config=request_sessions(
                    before_commit=assisted_audit.record, on_send=echo_request_id
                )
            ),
            structlog_plugin(settings),
            ConstrainedStructSchemaPlugin(),
        ],
        on_app_init=[jwt_auth.on_app_init, _outside_authentication(requests_log)],
        middleware=[admission_gate(settings.in_flight_limit)],
        dependencies={
            "settings": Provide(_provide_settings, sync_to_thread=False),
            "clock": Provide(_provide_clock, sync_to_thread=False),
            "user": Provide(_provide_user),
            "language": Provide(request_language, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        response_class=Answer,
        # Bodies are JSON only, decoded strictly (backend/core/bodies.py).
        request_class=JsonBodyRequest,
        # Started and stopped with the app: the resources bound when it starts.
        lifespan=[serving],
        # Off (no /schema at all) by default in production: the full map of the API is for
        # the phone team, who read schemas/openapi.json or a development server.
        openapi_config=_openapi_config() if settings.schema_enabled else None,
        request_max_body_size=settings.max_request_body_bytes,
        compression_config=compression_config(),
        debug=False,
    )
    answer_options_for_whole_paths(app)
    answer_head_like_get(app)
    resolve_exception_handlers_once(app)
    guard_without_copying_the_handler(app)
    skip_authentication_on_public_routes(app)
    mark_public_reads(app)
    app.asgi_handler = _outermost(app, settings, requests_log)
    document_problems(app)
    document_security(app)
    if isinstance(app.openapi_config, ContractOpenAPIConfig):
        # Problem documents are built by hand (errors.problem_response): their optional members
        # are written only by the codes that carry them.
        answered = {name: t for name, t in wire_types().items() if name != "Problem"}
        app.openapi_config.finisher = contract_finisher(app, PROBLEM_MEMBERS, answered)
    return app


__all__ = ["API_PREFIX", "build_app", "create_app"]
