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
from typing import Literal

Environment = Literal["development", "test", "production"]


class SettingsError(RuntimeError):
    """The environment does not describe a service that may start."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc


class TrustedProxies(tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]):
    """The proxy networks whose ``X-Forwarded-For`` is believed.

    A named tuple type rather than ``tuple[IPv4Network | IPv6Network, ...]``: Litestar checks
    every dependency a handler asks for with msgspec, which cannot represent a union of two
    classes, so with the bare union any handler taking ``settings`` answered 500.
    """


@dataclass(frozen=True, slots=True)
class Settings:
    env: Environment = "development"
    data_dir: Path = Path(".qiyou")
    database_url: str | None = None
    # Connections beyond the pool size are closed as soon as they are returned, so under a
    # steady load an overflow means opening a PostgreSQL connection (a new server process) for
    # many requests: measured, it halved the throughput of the reads. Size the pool instead.
    db_pool_size: int = 20
    db_max_overflow: int = 0
    # The hot reads' own connections (backend/core/readpool.py), beside the sessions' pool.
    db_read_pool_size: int = 10
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
    log_level: str = "INFO"
    log_json: bool = False
    access_log: bool = True
    max_request_body_bytes: int = 1_048_576
    cors_origins: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # Tests and callers may pass a plain tuple; msgspec accepts only the named type.
        if not isinstance(self.trusted_proxies, TrustedProxies):
            object.__setattr__(self, "trusted_proxies", TrustedProxies(self.trusted_proxies))

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def sms_backend(self) -> str:
        return "provider" if self.is_production else "console"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        environment = env.get("QIYOU_ENV", "development").strip().lower() or "development"
        if environment not in ("development", "test", "production"):
            raise SettingsError(
                f"QIYOU_ENV must be development, test or production, got {environment!r}"
            )
        data_dir = Path(env.get("QIYOU_DATA_DIR") or ".qiyou")
        rate_limit_enabled = _bool(env.get("QIYOU_RATE_LIMIT_ENABLED"), True)
        trusted = TrustedProxies(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in env.get("QIYOU_TRUSTED_PROXIES", "").split(",")
            if part.strip()
        )
        settings = cls(
            env=environment,  # type: ignore[arg-type]
            data_dir=data_dir,
            database_url=env.get("QIYOU_DATABASE_URL") or None,
            db_pool_size=_int(env, "QIYOU_DB_POOL_SIZE", 20),
            db_max_overflow=_int(env, "QIYOU_DB_MAX_OVERFLOW", 0),
            db_read_pool_size=_int(env, "QIYOU_DB_READ_POOL_SIZE", 10),
            max_in_flight=_int(env, "QIYOU_MAX_IN_FLIGHT", -1)
            if "QIYOU_MAX_IN_FLIGHT" in env
            else None,
            redis_url=env.get("QIYOU_REDIS_URL") or None,
            jwt_secret=env.get("QIYOU_JWT_SECRET", ""),
            data_key=_decode_key(env.get("QIYOU_DATA_KEY", "")),
            access_token_ttl_seconds=_int(env, "QIYOU_ACCESS_TOKEN_TTL", 15 * 60),
            refresh_token_ttl_seconds=_int(env, "QIYOU_REFRESH_TOKEN_TTL", 30 * 24 * 3600),
            rate_limit_enabled=rate_limit_enabled,
            trusted_proxies=trusted,
            log_level=env.get("QIYOU_LOG_LEVEL", "INFO").upper(),
            log_json=_bool(env.get("QIYOU_LOG_JSON"), environment == "production"),
            access_log=_bool(env.get("QIYOU_ACCESS_LOG"), True),
            max_request_body_bytes=_int(env, "QIYOU_MAX_BODY_BYTES", 1_048_576),
            cors_origins=tuple(
                o.strip() for o in env.get("QIYOU_CORS_ORIGINS", "").split(",") if o.strip()
            ),
        )
        if settings.db_read_pool_size < 1:
            # The hot reads have no other connections to fall back on.
            raise SettingsError("QIYOU_DB_READ_POOL_SIZE must be at least 1")
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
