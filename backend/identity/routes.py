"""HTTP routes of the identity domain: parse, authorize, call the service, shape the answer.

Who may call what is declared here and nowhere else: public routes carry
``exclude_from_auth=True``, the rest a role guard from ``core.auth``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_202_ACCEPTED,
    HTTP_204_NO_CONTENT,
)
from sqlalchemy.ext.asyncio import AsyncSession

import backend.identity.messages  # noqa: F401  (registers the domain's error messages)
from backend.config import Settings
from backend.core.auth import AuthUser, admin_only, any_user, resident_only, revocation_list
from backend.core.clock import Clock
from backend.core.errors import AppError, problem_responses
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.net import client_address
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.ratelimit import Limiter, limiter_for, per_account
from backend.core.revocations import add_on_commit
from backend.identity import admin, login, members, sessions, sms, verification
from backend.identity.service import (
    ClientInfo,
    Revoker,
    current_user,
    normalize_phone,
    update_display_name,
    user_out,
)
from backend.identity.throttle import WRITES_PER_ACCOUNT
from schemas import patterns
from schemas.common import Page
from schemas.identity import (
    AdminUserCreate,
    AdminUserOut,
    AdminUserPatch,
    DevSmsCode,
    LoginRequest,
    LogoutRequest,
    MemberIn,
    MemberOut,
    MemberPatch,
    PasswordResetRequest,
    RefreshRequest,
    RegisterRequest,
    Role,
    SessionOut,
    SmsCodeRequest,
    SmsCodeSent,
    SmsLoginRequest,
    TokenPair,
    UpdateMeRequest,
    UserOut,
    VerificationRequest,
)

TAGS = ("identity",)

# Path parameters: camelCase on the wire like every other name, snake_case in Python.
SessionId = Annotated[UUID, PathParameter(name="sessionId", description="a login session's id")]
MemberId = Annotated[UUID, PathParameter(name="memberId", description="a household member's id")]
UserId = Annotated[UUID, PathParameter(name="userId", description="an account's id")]

# The problem answers of each operation, with their stable codes, for the phone team.
_PHONE = "`invalid_phone` or `validation_error` with `errors`."
_SMS_THROTTLED = (
    "Too many requests from this client address (`rate_limited`: 30 registrations a minute, "
    "60 code checks a minute); see `Retry-After`."
)
_WRITES_THROTTLED = (
    "More than 120 changes a minute from this account (`rate_limited`); see `Retry-After`."
)
# Ordinary identity writes: a generous per-account limit, checked after the role guard.
_WRITES = per_account(WRITES_PER_ACCOUNT)
_CODE_INVALID = "The SMS code is wrong, expired, spent or burnt (`sms_code_invalid`)."
_WEAK = "`weak_password` (with the broken rules in `errors`), " + _PHONE
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")


def _device_name(user_agent: str | None) -> str | None:
    """The User-Agent, made safe to show on the devices list."""
    if not user_agent:
        return None
    text = " ".join(_UNPRINTABLE.sub(" ", user_agent).split())
    return text[:200] or None


def provide_client(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings]
) -> ClientInfo:
    return ClientInfo(
        address=client_address(request, settings.trusted_proxies),
        device_name=_device_name(request.headers.get("user-agent")),
    )


def provide_throttle(request: Request[Any, Any, Any]) -> Limiter:
    return limiter_for(request.app)


def provide_revoker(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> Revoker:
    revocations = revocation_list(request.app)

    async def revoke(session_ids: list[UUID]) -> None:
        add_on_commit(db_session, revocations, session_ids)

    return revoke


def provide_sms_sender(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings]
) -> sms.SmsSender:
    return sms.sender_for(settings, request.app.stores.get(sms.OUTBOX_STORE))


DEPENDENCIES = {
    "client": Provide(provide_client, sync_to_thread=False),
    "throttle": Provide(provide_throttle, sync_to_thread=False),
    "revoker": Provide(provide_revoker, sync_to_thread=False),
    "sms_sender": Provide(provide_sms_sender, sync_to_thread=False),
}


class AuthController(Controller):
    path = "/auth"
    tags = TAGS
    dependencies = DEPENDENCIES

    @post(
        "/sms-codes",
        status_code=HTTP_202_ACCEPTED,
        operation_id="requestSmsCode",
        responses=problem_responses(
            409,
            422,
            429,
            503,
            describe={
                409: "`register` for a phone that has an account (`phone_taken`).",
                422: _PHONE,
                429: "`sms_code_too_soon` (one code per phone a minute), `sms_daily_limit` (ten "
                "per phone per Asia/Shanghai day, five per phone from one client address in "
                "24 hours) or `rate_limited` (30 a minute from this address); see "
                "`Retry-After`.",
                503: "No SMS can be sent right now (`sms_unavailable`).",
            },
            codes={
                409: ("phone_taken",),
                422: ("invalid_phone",),
                429: ("sms_code_too_soon", "sms_daily_limit"),
                503: ("sms_unavailable",),
            },
        ),
        summary="Send an SMS verification code",
        exclude_from_auth=True,
    )
    async def request_sms_code(
        self,
        data: JSONBody[SmsCodeRequest],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        throttle: NamedDependency[Limiter],
        sms_sender: NamedDependency[sms.SmsSender],
        client: NamedDependency[ClientInfo],
    ) -> SmsCodeSent:
        """One code per phone per 60 s, ten per day and five per day from one address (429
        `sms_code_too_soon` / `sms_daily_limit` with Retry-After); `phone_taken` 409 for
        `register`. Login and reset codes are answered alike whether or not the phone has an
        account."""
        return await login.request_sms_code(
            db_session, settings, throttle, sms_sender, data, client=client, now=clock.now()
        )

    @post(
        "/register",
        status_code=HTTP_201_CREATED,
        operation_id="register",
        responses=problem_responses(
            400,
            409,
            422,
            429,
            describe={
                400: _CODE_INVALID,
                409: "The phone has an account (`phone_taken`).",
                422: _WEAK,
                429: _SMS_THROTTLED,
            },
            codes={
                400: ("sms_code_invalid",),
                409: ("phone_taken",),
                422: ("invalid_phone", "weak_password"),
            },
        ),
        summary="Register a resident account",
        exclude_from_auth=True,
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RegisterRequest],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        throttle: NamedDependency[Limiter],
        client: NamedDependency[ClientInfo],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[TokenPair]:
        """`phone_taken` 409, `sms_code_invalid` 400, `weak_password` 422 (with the field).
        A retry with the same `Idempotency-Key` and body replays the first answer (the same
        tokens) instead of answering `phone_taken`; the key is scoped to the phone."""
        now = clock.now()

        async def create() -> tuple[int, TokenPair]:
            tokens = await login.register(
                db_session, settings, throttle, data, client=client, now=now
            )
            return HTTP_201_CREATED, tokens

        # Nobody is logged in yet, so the key belongs to the phone being registered: the one
        # thing every retry of one registration shares and no other caller's registration
        # does. Two phones may use the same key; one phone's retries find each other.
        scope = login.registration_scope(normalize_phone(data.phone))
        return await idempotent(request, db_session, scope, now, create)

    @post(
        "/login",
        status_code=HTTP_200_OK,
        operation_id="login",
        responses=problem_responses(
            401,
            422,
            429,
            describe={
                401: "Wrong phone or password (`invalid_credentials`).",
                422: _PHONE,
                429: "`login_throttled`: five failures for this phone from this address in 15 "
                "minutes, or so many for the phone from many addresses that each further try "
                "waits longer (1 to 32 minutes); `rate_limited`: 100 failures from this address "
                "in 15 minutes. See `Retry-After`; an SMS login is never blocked by these.",
            },
            codes={
                401: ("invalid_credentials",),
                422: ("invalid_phone",),
                429: ("login_throttled",),
            },
        ),
        summary="Log in with phone and password",
        exclude_from_auth=True,
    )
    async def login_password(
        self,
        data: JSONBody[LoginRequest],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        throttle: NamedDependency[Limiter],
        client: NamedDependency[ClientInfo],
    ) -> TokenPair:
        """Wrong phone or password: 401 `invalid_credentials`. Five failures for a phone from
        one address in 15 minutes: 429 `login_throttled` with Retry-After for that address
        only. Failures from many addresses make each further try wait longer."""
        return await login.login_with_password(
            db_session, settings, throttle, data, client=client, now=clock.now()
        )

    @post(
        "/login/sms",
        status_code=HTTP_200_OK,
        operation_id="loginWithSms",
        responses=problem_responses(
            400,
            422,
            429,
            describe={400: _CODE_INVALID, 422: _PHONE, 429: _SMS_THROTTLED},
            codes={400: ("sms_code_invalid",), 422: ("invalid_phone",)},
        ),
        summary="Log in with an SMS code",
        exclude_from_auth=True,
    )
    async def login_sms(
        self,
        data: JSONBody[SmsLoginRequest],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        throttle: NamedDependency[Limiter],
        client: NamedDependency[ClientInfo],
    ) -> TokenPair:
        """A code requested with purpose `login`; a wrong or expired one: 400
        `sms_code_invalid` (five wrong tries burn it)."""
        return await login.login_with_sms(
            db_session, settings, throttle, data, client=client, now=clock.now()
        )

    @post(
        "/refresh",
        status_code=HTTP_200_OK,
        operation_id="refreshTokens",
        responses=problem_responses(
            401,
            describe={
                401: "`refresh_token_invalid` (unknown, expired or logged out) or "
                "`refresh_token_reused` (already spent: the whole login is now revoked).",
            },
            codes={401: ("refresh_token_invalid", "refresh_token_reused")},
        ),
        summary="Trade a refresh token for a new token pair",
        exclude_from_auth=True,
    )
    async def refresh(
        self,
        data: JSONBody[RefreshRequest],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        revoker: NamedDependency[Revoker],
        client: NamedDependency[ClientInfo],
    ) -> TokenPair:
        """The presented token is spent. Presenting a spent one again: 401
        `refresh_token_reused`, and that login is revoked on every device holding it.
        Unknown or expired: 401 `refresh_token_invalid`."""
        return await sessions.refresh(
            db_session, settings, revoker, data.refresh_token, client=client, now=clock.now()
        )

    @post(
        "/logout",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="logout",
        summary="Log this device out",
        guards=[any_user],
    )
    async def logout(
        self,
        data: JSONBody[LogoutRequest],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        revoker: NamedDependency[Revoker],
        user: NamedDependency[AuthUser],
    ) -> None:
        """Any signed-in user. Ends the login this token belongs to (its refresh token, when
        sent, must be that login's); its access tokens stop working at once."""
        await sessions.logout(
            db_session,
            revoker,
            user_id=user.id,
            current_session_id=user.session_id,
            refresh_token=data.refresh_token,
            now=clock.now(),
        )

    @post(
        "/password-reset",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="resetPassword",
        responses=problem_responses(
            400,
            422,
            429,
            describe={400: _CODE_INVALID, 422: _WEAK, 429: _SMS_THROTTLED},
            codes={400: ("sms_code_invalid",), 422: ("invalid_phone", "weak_password")},
        ),
        summary="Set a new password with an SMS code",
        exclude_from_auth=True,
    )
    async def reset_password(
        self,
        data: JSONBody[PasswordResetRequest],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        throttle: NamedDependency[Limiter],
        revoker: NamedDependency[Revoker],
        client: NamedDependency[ClientInfo],
    ) -> None:
        """Needs a code requested with purpose `reset_password`. Every login of the account
        ends; log in again with the new password."""
        await login.reset_password(
            db_session, settings, throttle, revoker, data, client=client, now=clock.now()
        )


class MeController(Controller):
    path = "/me"
    tags = TAGS
    dependencies = DEPENDENCIES
    guards = (any_user,)

    @get("/", operation_id="getMe", summary="The caller's account")
    async def get_me(
        self, db_session: NamedDependency[AsyncSession], user: NamedDependency[AuthUser]
    ) -> UserOut:
        """Any signed-in user: their account, with roles and whether it is verified."""
        return user_out(await current_user(db_session, user.id))

    @patch(
        "/",
        operation_id="updateMe",
        responses=problem_responses(429, describe={429: _WRITES_THROTTLED}),
        summary="Change the display name",
        guards=[_WRITES],
    )
    async def update_me(
        self,
        data: JSONBody[UpdateMeRequest],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
    ) -> UserOut:
        """Any signed-in user. Only the fields sent change; the display name is one line of
        visible text."""
        if isinstance(data.display_name, str):
            return await update_display_name(db_session, user.id, data.display_name)
        return user_out(await current_user(db_session, user.id))

    @get("/sessions", operation_id="listSessions", summary="The devices logged in")
    async def list_sessions(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[SessionOut]:
        """Newest login first; `current` marks the device making this call."""
        return await sessions.list_sessions(
            db_session,
            user_id=user.id,
            current_session_id=user.session_id,
            now=clock.now(),
            limit=limit,
            cursor=cursor,
        )

    @delete(
        "/sessions/{sessionId:uuid}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="endSession",
        responses=problem_responses(429, describe={429: _WRITES_THROTTLED}),
        summary="Log a device out",
        guards=[_WRITES],
    )
    async def end_session(
        self,
        session_id: SessionId,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        revoker: NamedDependency[Revoker],
        user: NamedDependency[AuthUser],
    ) -> None:
        """Its tokens stop working at once. Not one of the caller's live sessions: 404."""
        await sessions.end_session(
            db_session, revoker, user_id=user.id, session_id=session_id, now=clock.now()
        )

    @post(
        "/verification",
        status_code=HTTP_200_OK,
        operation_id="verifyIdentity",
        responses=problem_responses(
            409,
            422,
            429,
            describe={
                409: "`verification_failed` (these details cannot verify this account: the "
                "resident should bring the ID card to the service centre) or "
                "`already_verified` (this account is verified with another number).",
                422: "`invalid_id_number` or `invalid_real_name`, naming the broken rule.",
                429: "Five checks of well-formed details an hour per account (`rate_limited`); "
                "see `Retry-After`.",
            },
            codes={
                409: ("already_verified", "conflict", "verification_failed"),
                422: ("invalid_id_number", "invalid_real_name"),
            },
        ),
        summary="Real-name verification with the resident ID number",
        guards=[resident_only],
    )
    async def verify(
        self,
        data: JSONBody[VerificationRequest],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        throttle: NamedDependency[Limiter],
        user: NamedDependency[AuthUser],
    ) -> UserOut:
        """The number is checked (GB 11643 check digit, birth date, province), stored
        encrypted and only ever answered masked. 422 `invalid_id_number` / `invalid_real_name`;
        409 `verification_failed` when the details cannot verify this account (without saying
        why); 429 after five well-formed tries in an hour."""
        return await verification.verify(
            db_session,
            settings,
            throttle,
            user_id=user.id,
            real_name=data.real_name,
            id_number=data.id_number,
            now=clock.now(),
            today=clock.today(),
        )


class MembersController(Controller):
    path = "/me/members"
    tags = TAGS
    guards = (resident_only,)

    @get("/", operation_id="listMembers", summary="The household's members")
    async def list_members(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[MemberOut]:
        """Residents: their household's members, oldest entry first, each with its `ageGroup`
        (child under 18, elder from 60)."""
        return await members.list_members(
            db_session, user.id, today=clock.today(), limit=limit, cursor=cursor
        )

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        operation_id="createMember",
        responses=problem_responses(
            409,
            422,
            429,
            describe={
                409: "`member_limit_reached` (20 per household), or "
                "`idempotency_request_in_progress`.",
                422: "`invalid_birth_date`, `idempotency_key_reused`, `invalid_idempotency_key` "
                "or `validation_error` with `errors`.",
                429: _WRITES_THROTTLED,
            },
            codes={409: ("member_limit_reached",), 422: ("invalid_birth_date",)},
        ),
        summary="Add a household member",
        guards=[_WRITES],
    )
    async def create_member(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[MemberIn],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[MemberOut]:
        """Honours `Idempotency-Key`. At most 20 members: 409 `member_limit_reached`;
        a birth date in the future: 422 `invalid_birth_date`."""
        now = clock.now()

        async def create() -> tuple[int, MemberOut]:
            created = await members.add_member(
                db_session, user.id, data, now=now, today=clock.today()
            )
            return HTTP_201_CREATED, created

        return await idempotent(request, db_session, user.id, now, create)

    @get("/{memberId:uuid}", operation_id="getMember", summary="One household member")
    async def get_member(
        self,
        member_id: MemberId,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
    ) -> MemberOut:
        """Residents: one member of their own household; another household's member is 404."""
        return await members.get_member(db_session, user.id, member_id, today=clock.today())

    @patch(
        "/{memberId:uuid}",
        operation_id="updateMember",
        responses=problem_responses(
            422,
            429,
            describe={
                422: "`invalid_birth_date` or `validation_error` with `errors`.",
                429: _WRITES_THROTTLED,
            },
            codes={422: ("invalid_birth_date",)},
        ),
        summary="Change a member",
        guards=[_WRITES],
    )
    async def update_member(
        self,
        member_id: MemberId,
        data: JSONBody[MemberPatch],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
    ) -> MemberOut:
        """Only the fields sent change; `notes: null` clears the notes."""
        return await members.update_member(
            db_session, user.id, member_id, data, now=clock.now(), today=clock.today()
        )

    @delete(
        "/{memberId:uuid}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="deleteMember",
        responses=problem_responses(
            409,
            429,
            describe={
                409: "Registrations or services still name the member (`member_in_use`).",
                429: _WRITES_THROTTLED,
            },
            codes={409: ("member_in_use",)},
        ),
        summary="Remove a member",
        guards=[_WRITES],
    )
    async def delete_member(
        self,
        member_id: MemberId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
    ) -> None:
        """Residents: removes a member of their own household, unless registrations or services
        still name it (409 `member_in_use`)."""
        await members.remove_member(db_session, user.id, member_id)


class AdminUsersController(Controller):
    path = "/admin/users"
    tags = ("admin",)
    guards = (admin_only,)
    dependencies = DEPENDENCIES

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        operation_id="createUser",
        responses=problem_responses(
            409,
            422,
            describe={409: "The phone has an account (`phone_taken`).", 422: _WEAK},
            codes={409: ("phone_taken",), 422: ("invalid_phone", "weak_password")},
        ),
        summary="Create a staff account",
    )
    async def create_user(
        self,
        request: Request[AuthUser, Any, Any],
        data: JSONBody[AdminUserCreate],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[AdminUserOut]:
        """Roles `worker`, `staff` or `admin`. A phone that has an account: 409 `phone_taken`.
        A retry with the same `Idempotency-Key` and body replays the first answer."""
        now = clock.now()

        async def create() -> tuple[int, AdminUserOut]:
            return HTTP_201_CREATED, await admin.create_staff_account(db_session, data, now=now)

        return await idempotent(request, db_session, user.id, now, create)

    @get("/", operation_id="listUsers", summary="Accounts, optionally of one role")
    async def list_users(
        self,
        db_session: NamedDependency[AsyncSession],
        role: Annotated[
            Role | None, QueryParameter(name="role", description="only accounts of this role")
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[AdminUserOut]:
        """Admins: every account, newest first, optionally only those of one role."""
        return await admin.list_users(db_session, role=role, limit=limit, cursor=cursor)

    @patch(
        "/{userId:uuid}",
        operation_id="updateUser",
        responses=problem_responses(
            404,
            409,
            describe={
                404: "No such account (`not_found`).",
                409: "An admin cannot change their own role or disable themselves (`own_account`).",
            },
            codes={409: ("own_account",)},
        ),
        summary="Change an account's role, or disable / enable it",
    )
    async def update_user(
        self,
        user_id: UserId,
        data: JSONBody[AdminUserPatch],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        revoker: NamedDependency[Revoker],
        user: NamedDependency[AuthUser],
    ) -> AdminUserOut:
        """Only the fields sent change. A new `role` or `active: false` ends every login of the
        account at once (its access tokens answer 401, its refresh tokens
        `refresh_token_invalid`); it logs in again to get the new role. A disabled account
        cannot log in or refresh until `active: true`."""
        return await admin.update_account(
            db_session, revoker, user_id, data, admin_id=user.id, now=clock.now()
        )

    @delete(
        "/{userId:uuid}/sessions",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="endUserSessions",
        responses=problem_responses(404, describe={404: "No such account (`not_found`)."}),
        summary="Log an account out of every device",
    )
    async def end_user_sessions(
        self,
        user_id: UserId,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        revoker: NamedDependency[Revoker],
    ) -> None:
        """Every login of the account ends: its access tokens answer 401 at once and its refresh
        tokens are refused. The account itself stays usable: it can log in again."""
        await admin.end_account_sessions(db_session, revoker, user_id, now=clock.now())


class DevController(Controller):
    """Development helpers; ``create_app`` mounts them only outside production."""

    path = "/dev"
    tags = ("development",)

    @get(
        "/sms-codes/latest",
        operation_id="getLatestSmsCode",
        responses=problem_responses(
            404,
            describe={404: "No code was sent to this phone lately (`not_found`)."},
            codes={422: ("invalid_phone",)},
        ),
        summary="The last SMS code sent to a phone (not in production)",
        exclude_from_auth=True,
    )
    async def latest_sms_code(
        self,
        request: Request[Any, Any, Any],
        # Stated, not enforced here: normalize_phone answers 422 invalid_phone.
        phone: Annotated[
            str, QueryParameter(name="phone", schema_extra={"pattern": patterns.PHONE})
        ],
    ) -> DevSmsCode:
        """Anyone, outside production only (the route does not exist there): the code the
        console SMS backend last sent to the phone, for tests and local use."""
        code = await sms.latest_outbox_code(
            request.app.stores.get(sms.OUTBOX_STORE), normalize_phone(phone)
        )
        if code is None:
            raise AppError(404, "not_found")
        return DevSmsCode(code=code)


ROUTES: list[Any] = [AuthController, MeController, MembersController, AdminUsersController]
DEV_ROUTES: list[Any] = [DevController]
