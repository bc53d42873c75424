"""Settings, read from ``QIYOU_*`` environment variables alone.

Secrets never fall back to a per-process random value: tokens and encrypted data must survive
restarts and be shared by every worker. Production demands them explicitly; development
generates them once into the data folder and reuses them from there.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from msgspec import UNSET, Meta, UnsetType

Environment = Literal["development", "test", "production"]
LogLevel = Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

VARIABLE_PREFIX = "QIYOU_"
# Values of these variables are never repeated in an error line: they end up in logs.
_SECRET_VARIABLES = frozenset(
    {
        "QIYOU_JWT_SECRET",
        "QIYOU_DATA_KEY",
        "QIYOU_DATABASE_URL",
        "QIYOU_REDIS_URL",
        "QIYOU_METRICS_TOKEN",
        "QIYOU_APNS_PRIVATE_KEY",
        "QIYOU_JPUSH_MASTER_SECRET",
        "QIYOU_SMS_ACCESS_KEY_SECRET",
    }
)
_SWITCH_VALUES = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}
_DATABASE_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")
_REDIS_SCHEMES = ("redis", "rediss", "unix")


class SettingsError(RuntimeError):
    """The environment does not describe a service that may start."""


class TrustedProxies(tuple[Network, ...]):
    """The proxy networks whose ``X-Forwarded-For`` is believed.

    A named tuple type rather than ``tuple[IPv4Network | IPv6Network, ...]``: Litestar checks
    every dependency a handler asks for with msgspec, which cannot represent a union of two
    classes, so with the bare union any handler taking ``settings`` answered 500.
    """


class AllowedNetworks(tuple[Network, ...]):
    """Client networks allowed to read ``/metrics`` (a named type for the reason above)."""


# What the environment may say, checked by msgspec: types, ranges and the allowed words. A field
# left UNSET was not given (or given empty) and keeps the default of ``Settings``. Field names are
# the variables' names without the prefix, so msgspec's error paths name the variable itself.
Switch = Literal["1", "0", "true", "false", "yes", "no", "on", "off"]
Seconds = Annotated[float, Meta(gt=0, le=3600)]


def _variable(field_name: str) -> str:
    return VARIABLE_PREFIX + field_name.upper()


class _Environment(msgspec.Struct, rename=_variable, kw_only=True):
    env: Environment | UnsetType = UNSET
    data_dir: str | UnsetType = UNSET
    database_url: str | UnsetType = UNSET
    db_pool_size: Annotated[int, Meta(ge=1)] | UnsetType = UNSET
    db_max_overflow: Annotated[int, Meta(ge=0)] | UnsetType = UNSET
    db_read_pool_size: Annotated[int, Meta(ge=1)] | UnsetType = UNSET
    db_connect_timeout: Seconds | UnsetType = UNSET
    db_statement_timeout: Seconds | UnsetType = UNSET
    db_pool_timeout: Seconds | UnsetType = UNSET
    max_in_flight: Annotated[int, Meta(ge=0)] | UnsetType = UNSET
    redis_url: str | UnsetType = UNSET
    jwt_secret: str | UnsetType = UNSET
    data_key: str | UnsetType = UNSET
    access_token_ttl: Annotated[int, Meta(ge=1)] | UnsetType = UNSET
    refresh_token_ttl: Annotated[int, Meta(ge=1)] | UnsetType = UNSET
    rate_limit_enabled: Switch | UnsetType = UNSET
    trusted_proxies: str | UnsetType = UNSET
    log_level: LogLevel | UnsetType = UNSET
    log_json: Switch | UnsetType = UNSET
    access_log: Switch | UnsetType = UNSET
    max_body_bytes: Annotated[int, Meta(ge=1)] | UnsetType = UNSET
    cors_origins: str | UnsetType = UNSET
    dev_routes: Switch | UnsetType = UNSET
    metrics: Switch | UnsetType = UNSET
    metrics_token: Annotated[str, Meta(min_length=16)] | UnsetType = UNSET
    metrics_allow: str | UnsetType = UNSET
    schema: Switch | UnsetType = UNSET
    # Push and SMS providers (docs/operations.md, "Push and SMS providers").
    apns_key_id: Annotated[str, Meta(pattern=r"^[A-Z0-9]{10}$")] | UnsetType = UNSET
    apns_team_id: Annotated[str, Meta(pattern=r"^[A-Z0-9]{10}$")] | UnsetType = UNSET
    apns_topic: Annotated[str, Meta(max_length=200)] | UnsetType = UNSET
    apns_private_key: Annotated[str, Meta(min_length=40)] | UnsetType = UNSET
    apns_url: str | UnsetType = UNSET
    jpush_app_key: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET
    jpush_master_secret: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET
    jpush_url: str | UnsetType = UNSET
    jpush_apns_production: Switch | UnsetType = UNSET
    push_timeout: Seconds | UnsetType = UNSET
    sms_provider: Literal["console", "aliyun"] | UnsetType = UNSET
    sms_access_key_id: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET
    sms_access_key_secret: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET
    sms_sign_name: Annotated[str, Meta(max_length=40)] | UnsetType = UNSET
    sms_template_code: Annotated[str, Meta(max_length=40)] | UnsetType = UNSET
    sms_url: str | UnsetType = UNSET
    # Background jobs (backend/jobs): see Settings.
    worker: Switch | UnsetType = UNSET
    worker_concurrency: Annotated[int, Meta(ge=1, le=100)] | UnsetType = UNSET
    job_retry_base: Seconds | UnsetType = UNSET
    job_retry_max: Annotated[float, Meta(gt=0, le=86400)] | UnsetType = UNSET
    job_stalled: Annotated[float, Meta(ge=5, le=3600)] | UnsetType = UNSET
    job_lag_warning: Seconds | UnsetType = UNSET
    # Reminders and housekeeping (backend/notifications/reminders.py, backend/jobs/housekeeping.py)
    booking_reminder_minutes: Annotated[int, Meta(ge=0, le=10080)] | UnsetType = UNSET
    event_reminder_minutes: Annotated[int, Meta(ge=0, le=10080)] | UnsetType = UNSET
    housekeeping_batch: Annotated[int, Meta(ge=1, le=100_000)] | UnsetType = UNSET
    session_retention_days: Annotated[int, Meta(ge=1, le=3650)] | UnsetType = UNSET


_SWITCHES = (
    "QIYOU_RATE_LIMIT_ENABLED",
    "QIYOU_LOG_JSON",
    "QIYOU_ACCESS_LOG",
    "QIYOU_DEV_ROUTES",
    "QIYOU_METRICS",
    "QIYOU_SCHEMA",
    "QIYOU_JPUSH_APNS_PRODUCTION",
    "QIYOU_WORKER",
)
# Words are compared without regard to case: QIYOU_ENV=Production, QIYOU_METRICS=OFF.
_LOWERCASED = frozenset({"QIYOU_ENV", "QIYOU_SMS_PROVIDER", *_SWITCHES})
KNOWN_VARIABLES = frozenset(_variable(name) for name in _Environment.__struct_fields__)


@dataclass(frozen=True, slots=True)
class Settings:
    env: Environment = "development"
    # False when QIYOU_ENV was not given and development is only the default: then the
    # development routes exist only on a server that listens on loopback (``dev_routes``).
    env_chosen: bool = True
    data_dir: Path = Path(".qiyou")
    database_url: str | None = None
    # Connections beyond the pool size are closed as soon as they are returned, so under a
    # steady load an overflow means opening a PostgreSQL connection (a new server process) for
    # many requests: measured, it halved the throughput of the reads. Size the pool instead.
    db_pool_size: int = 20
    db_max_overflow: int = 0
    # The hot reads' own connections (backend/core/readpool.py), beside the sessions' pool.
    db_read_pool_size: int = 10
    # Seconds. A database that stalls must cost a request a bounded wait, never a hang: the
    # connect timeout bounds opening a connection (and /health/ready), the statement timeout a
    # statement (on the server, and on the client for a server that never answers), the pool
    # timeout the wait for a free connection of the sessions' pool.
    db_connect_timeout: float = 5.0
    db_statement_timeout: float = 10.0
    db_pool_timeout: float = 10.0
    # Requests let into the app at once, in arrival order (backend/core/admission.py); None
    # means one less than the sessions' pool has connections, 0 means no limit.
    max_in_flight: int | None = None
    redis_url: str | None = None
    jwt_secret: str = ""
    data_key: bytes = b""
    jwt_issuer: str = "qiyou"
    jwt_audience: str = "qiyou-app"
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    rate_limit_enabled: bool = True
    trusted_proxies: TrustedProxies = field(default_factory=TrustedProxies)
    log_level: LogLevel = "INFO"
    log_json: bool = False
    access_log: bool = True
    max_request_body_bytes: int = 1_048_576
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    # None: decided by the environment (see the properties below).
    dev_routes: bool | None = None
    metrics: bool | None = None
    metrics_token: str = ""
    metrics_allow: AllowedNetworks = field(default_factory=AllowedNetworks)
    schema: bool | None = None
    # Push and SMS providers. A block is configured when all its credentials are given, and
    # refused when only some are (a typo must not silently disable pushes). Production accepts
    # a device only for a configured provider (never ``log``), so no device exists there that
    # nothing could push to: production starts without any block (docs/operations.md).
    # Outside production every provider's devices are accepted (``accepts_devices_of``).
    apns_key_id: str = ""
    apns_team_id: str = ""
    apns_topic: str = ""
    apns_private_key: str = ""
    apns_url: str = "https://api.push.apple.com"
    jpush_app_key: str = ""
    jpush_master_secret: str = ""
    jpush_url: str = "https://api.jpush.cn/v3/push"
    jpush_apns_production: bool = True
    push_timeout_seconds: float = 10.0
    # None: "console" outside production, none in production (503 sms_unavailable).
    sms_provider: Literal["console", "aliyun"] | None = None
    sms_access_key_id: str = ""
    sms_access_key_secret: str = ""
    sms_sign_name: str = ""
    sms_template_code: str = ""
    sms_url: str = "https://dysmsapi.aliyuncs.com/"
    # Background jobs (backend/jobs). ``worker``: whether the app runs jobs in-process: on for
    # ``qiyou run`` unless QIYOU_WORKER=off, off in an app built by hand (tests drain instead).
    worker: bool = False
    worker_concurrency: int = 4
    # Seconds: a failed job waits base, 2·base, 4·base … at most max before its next run.
    job_retry_base_seconds: float = 10.0
    job_retry_max_seconds: float = 3600.0
    # A worker whose heartbeat is older than this is dead; its running jobs are queued again.
    job_stalled_seconds: float = 30.0
    job_heartbeat_seconds: float = 5.0
    # How long a stopping worker lets its running jobs finish before it abandons them.
    job_shutdown_seconds: float = 20.0
    # /health/ready warns when the oldest due job has waited longer than this.
    job_lag_warning_seconds: float = 60.0
    # Reminders: minutes before a confirmed booking starts (``booking_reminder``) and before a
    # confirmed registration's event (``event_reminder``); 0 sends none of that kind.
    booking_reminder_minutes: int = 120
    event_reminder_minutes: int = 1440
    # Housekeeping: rows one delete statement removes (each batch its own short transaction),
    # and how long an ended login session (logged out, revoked or expired) is kept.
    housekeeping_batch: int = 1000
    session_retention_days: int = 30

    def __post_init__(self) -> None:
        # Tests and callers may pass plain tuples; msgspec accepts only the named types.
        if not isinstance(self.trusted_proxies, TrustedProxies):
            object.__setattr__(self, "trusted_proxies", TrustedProxies(self.trusted_proxies))
        if not isinstance(self.metrics_allow, AllowedNetworks):
            object.__setattr__(self, "metrics_allow", AllowedNetworks(self.metrics_allow))

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def sms_backend(self) -> str:
        """``aliyun``, ``console`` (never in production) or ``none``."""
        if self.sms_provider == "aliyun":
            return "aliyun"
        if self.is_production:
            return "none"
        return "console"

    @property
    def apns_configured(self) -> bool:
        return bool(self.apns_key_id and self.apns_team_id and self.apns_topic)

    @property
    def jpush_configured(self) -> bool:
        return bool(self.jpush_app_key and self.jpush_master_secret)

    def push_provider_available(self, provider: str) -> bool:
        """Whether this server pushes through ``provider`` (its credentials are given; ``log``
        outside production)."""
        if provider == "apns":
            return self.apns_configured
        if provider == "jpush":
            return self.jpush_configured
        return provider == "log" and not self.is_production

    def accepts_devices_of(self, provider: str) -> bool:
        """Whether a device of ``provider`` may be registered. Production: only a provider it
        pushes through, so no device exists there that nothing could push to. Elsewhere any:
        a development build of the app registers its APNs or JPush token against a local
        server that has no credentials (its pushes are skipped, or use ``log``)."""
        return self.push_provider_available(provider) or not self.is_production

    @property
    def dev_routes_enabled(self) -> bool:
        """Whether ``/api/v1/dev/...`` (every account's latest SMS code) exists.

        Never in production; otherwise when asked for, or when the mode was chosen explicitly.
        Development by default gets them only through ``qiyou run`` on a loopback address,
        which says so with ``QIYOU_DEV_ROUTES=on`` to its workers.
        """
        if self.is_production:
            return False
        if self.dev_routes is not None:
            return self.dev_routes
        return self.env_chosen

    @property
    def metrics_enabled(self) -> bool:
        if self.metrics is not None:
            return self.metrics
        # A token or an address list is a request for metrics behind it.
        return bool(self.metrics_token or self.metrics_allow) or not self.is_production

    @property
    def schema_enabled(self) -> bool:
        return self.schema if self.schema is not None else not self.is_production

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        given = _given(env)
        try:
            parsed = msgspec.convert(given, _Environment, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(_one_line(exc, given)) from None
        environment: Environment = "development" if parsed.env is UNSET else parsed.env
        values: dict[str, Any] = {"env": environment, "env_chosen": parsed.env is not UNSET}
        if parsed.data_dir is not UNSET:
            values["data_dir"] = Path(parsed.data_dir)
        if parsed.database_url is not UNSET:
            values["database_url"] = _url(
                "QIYOU_DATABASE_URL", parsed.database_url, _DATABASE_SCHEMES, "postgresql://"
            )
        if parsed.redis_url is not UNSET:
            values["redis_url"] = _url(
                "QIYOU_REDIS_URL", parsed.redis_url, _REDIS_SCHEMES, "redis://"
            )
        if parsed.data_key is not UNSET:
            values["data_key"] = _decode_key(parsed.data_key)
        if parsed.trusted_proxies is not UNSET:
            values["trusted_proxies"] = TrustedProxies(
                _networks("QIYOU_TRUSTED_PROXIES", parsed.trusted_proxies)
            )
        if parsed.metrics_allow is not UNSET:
            values["metrics_allow"] = AllowedNetworks(
                _networks("QIYOU_METRICS_ALLOW", parsed.metrics_allow)
            )
        if parsed.cors_origins is not UNSET:
            values["cors_origins"] = _items(parsed.cors_origins)
        values["log_json"] = environment == "production"
        for name in ("rate_limit_enabled", "log_json", "access_log", "dev_routes", "metrics"):
            word = getattr(parsed, name)
            if word is not UNSET:
                values[name] = _SWITCH_VALUES[word]
        if parsed.schema is not UNSET:
            values["schema"] = _SWITCH_VALUES[parsed.schema]
        values.update(_providers(parsed))
        renamed = {
            "access_token_ttl": "access_token_ttl_seconds",
            "refresh_token_ttl": "refresh_token_ttl_seconds",
            "max_body_bytes": "max_request_body_bytes",
        }
        for name in (
            "db_pool_size",
            "db_max_overflow",
            "db_read_pool_size",
            "db_connect_timeout",
            "db_statement_timeout",
            "db_pool_timeout",
            "max_in_flight",
            "jwt_secret",
            "log_level",
            "metrics_token",
            "booking_reminder_minutes",
            "event_reminder_minutes",
            "housekeeping_batch",
            "session_retention_days",
            *renamed,
        ):
            value = getattr(parsed, name)
            if value is not UNSET:
                values[renamed.get(name, name)] = value
        values.update(_job_values(parsed))
        settings = cls(**values)
        if settings.is_production and settings.dev_routes:
            raise SettingsError("QIYOU_DEV_ROUTES=on is refused in production")
        if (
            settings.is_production
            and settings.metrics
            and not (settings.metrics_token or settings.metrics_allow)
        ):
            raise SettingsError(
                "QIYOU_METRICS=on in production needs QIYOU_METRICS_TOKEN or QIYOU_METRICS_ALLOW"
            )
        return settings.with_secrets()

    @property
    def in_flight_limit(self) -> int:
        if self.max_in_flight is None:
            # One less than the pool: a request holds at most two connections at once (an
            # Idempotency-Key's claim or release beside the request's session), so with fewer
            # requests inside than connections one of them can always get its second.
            return max(1, self.db_pool_size + self.db_max_overflow - 1)
        return self.max_in_flight

    def with_secrets(self) -> Settings:
        """Fill in the secrets: required in production, generated once elsewhere."""
        if self.is_production:
            missing = [
                name
                for name, value in (
                    ("QIYOU_JWT_SECRET", self.jwt_secret),
                    ("QIYOU_DATA_KEY", self.data_key),
                    ("QIYOU_DATABASE_URL", self.database_url),
                )
                if not value
            ]
            if missing:
                raise SettingsError("production refuses to start without " + ", ".join(missing))
            if not self.rate_limit_enabled:
                raise SettingsError("QIYOU_RATE_LIMIT_ENABLED=false is refused in production")
            if len(self.jwt_secret) < 32:
                raise SettingsError("QIYOU_JWT_SECRET must be at least 32 characters")
            return self
        if self.jwt_secret and self.data_key:
            return self
        stored = load_or_create_dev_secrets(self.data_dir)
        return replace(
            self,
            jwt_secret=self.jwt_secret or stored["jwt_secret"],
            data_key=self.data_key or _decode_key(stored["data_key"]),
        )


_PROVIDER_BLOCKS = {
    "APNs": ("apns_key_id", "apns_team_id", "apns_topic", "apns_private_key"),
    "JPush": ("jpush_app_key", "jpush_master_secret"),
    "Aliyun SMS": (
        "sms_access_key_id",
        "sms_access_key_secret",
        "sms_sign_name",
        "sms_template_code",
    ),
}


def _providers(parsed: _Environment) -> dict[str, Any]:
    """The push and SMS blocks: all of a block's credentials or none of them."""
    values: dict[str, Any] = {}
    for name, fields in _PROVIDER_BLOCKS.items():
        given = [field for field in fields if getattr(parsed, field) is not UNSET]
        if given and len(given) < len(fields):
            missing = ", ".join(_variable(f) for f in fields if f not in given)
            raise SettingsError(f"{name} is configured only in part: {missing} missing")
        for field_name in given:
            values[field_name] = getattr(parsed, field_name)
    if parsed.apns_private_key is not UNSET:
        # A PEM in one environment line: "\n" stands for the line breaks.
        values["apns_private_key"] = parsed.apns_private_key.replace("\\n", "\n")
        _check_apns_key(values["apns_private_key"])
    for name, default_scheme in (
        ("apns_url", "https"),
        ("jpush_url", "https"),
        ("sms_url", "https"),
    ):
        raw = getattr(parsed, name)
        if raw is not UNSET:
            values[name] = _url(_variable(name), raw, ("https", "http"), f"{default_scheme}://")
    if parsed.jpush_apns_production is not UNSET:
        values["jpush_apns_production"] = _SWITCH_VALUES[parsed.jpush_apns_production]
    if parsed.push_timeout is not UNSET:
        values["push_timeout_seconds"] = parsed.push_timeout
    if parsed.sms_provider is not UNSET:
        values["sms_provider"] = parsed.sms_provider
        if parsed.sms_provider == "aliyun" and parsed.sms_access_key_id is UNSET:
            raise SettingsError("QIYOU_SMS_PROVIDER=aliyun needs the QIYOU_SMS_* credentials")
    return values


def _check_apns_key(pem: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except ValueError:
        raise SettingsError("QIYOU_APNS_PRIVATE_KEY is not a PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SettingsError("QIYOU_APNS_PRIVATE_KEY must be the P-256 key of an APNs auth key")


def _job_values(parsed: _Environment) -> dict[str, Any]:
    """The background jobs' settings: from the environment, the worker is on unless
    QIYOU_WORKER=off."""
    values: dict[str, Any] = {
        "worker": True if parsed.worker is UNSET else _SWITCH_VALUES[parsed.worker]
    }
    for variable, name in (
        ("worker_concurrency", "worker_concurrency"),
        ("job_retry_base", "job_retry_base_seconds"),
        ("job_retry_max", "job_retry_max_seconds"),
        ("job_stalled", "job_stalled_seconds"),
        ("job_lag_warning", "job_lag_warning_seconds"),
    ):
        value = getattr(parsed, variable)
        if value is not UNSET:
            values[name] = value
    return values


def _given(env: dict[str, str]) -> dict[str, str]:
    """The settings' variables that carry a value; an empty one counts as not given."""
    given: dict[str, str] = {}
    for name in KNOWN_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            given[name] = value.lower() if name in _LOWERCASED else value
    if "QIYOU_LOG_LEVEL" in given:
        given["QIYOU_LOG_LEVEL"] = given["QIYOU_LOG_LEVEL"].upper()
    return given


def _one_line(error: msgspec.ValidationError, given: dict[str, str]) -> str:
    """msgspec's ``Expected `int` >= 1 - at `$.QIYOU_X``` as ``QIYOU_X='0' is invalid: …``."""
    message, _, where = str(error).rpartition(" - at `$.")
    name = where.rstrip("`")
    if not message or name not in given:
        return f"invalid settings: {error}"
    shown = "" if name in _SECRET_VARIABLES else f"={given[name]!r}"
    reason = message[0].lower() + message[1:]
    for wording, plain in _PLAIN_WORDING:
        reason = reason.replace(wording, plain)
    if reason.startswith("invalid enum value"):
        allowed = _ALLOWED_WORDS.get(name, "")
        reason = f"expected one of {allowed}" if allowed else reason
    return f"{name}{shown} is invalid: {reason}"


_PLAIN_WORDING = (
    (", got `str`", ""),
    ("`int`", "a whole number"),
    ("`float`", "a number of seconds"),
    ("`str` of length >= ", "at least this many characters: "),
)
_ALLOWED_WORDS = {
    "QIYOU_ENV": "development, test, production",
    "QIYOU_LOG_LEVEL": "CRITICAL, ERROR, WARNING, INFO, DEBUG",
    "QIYOU_SMS_PROVIDER": "console, aliyun",
    **dict.fromkeys(_SWITCHES, "true/false (or on/off, yes/no, 1/0)"),
}


def _items(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _networks(name: str, raw: str) -> list[Network]:
    networks: list[Network] = []
    for part in _items(raw):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SettingsError(
                f"{name} is invalid: {part!r} is not an IP address or network (CIDR)"
            ) from None
    return networks


def _url(name: str, raw: str, schemes: tuple[str, ...], example: str) -> str:
    scheme = urlsplit(raw).scheme.lower() if "://" in raw else ""
    if scheme not in schemes:
        given = f"a {scheme!r} URL" if scheme else "no URL scheme"
        raise SettingsError(
            f"{name} is invalid: expected a {example}… URL ({', '.join(schemes)}), got {given}"
        )
    return raw


def _decode_key(raw: str) -> bytes:
    """``QIYOU_DATA_KEY`` is 32 bytes in URL-safe base64 (``qiyou keygen`` prints one)."""
    if not raw:
        return b""
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError as exc:
        raise SettingsError("QIYOU_DATA_KEY must be URL-safe base64") from exc
    if len(key) != 32:
        raise SettingsError("QIYOU_DATA_KEY must decode to 32 bytes")
    return key


def new_data_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def load_or_create_dev_secrets(data_dir: Path) -> dict[str, str]:
    """Create ``secrets.json`` once; concurrent workers race on an exclusive create."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secrets.json"
    if not path.exists():
        content = json.dumps(
            {"jwt_secret": secrets.token_urlsafe(48), "data_key": new_data_key()}
        ).encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
    for _ in range(50):
        text = path.read_text()
        if text:
            data: dict[str, str] = json.loads(text)
            return data
        import time

        time.sleep(0.02)
    raise SettingsError(f"{path} is empty")
