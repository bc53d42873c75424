"""Settings from the environment: every value checked, a bad one named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.config import Settings, SettingsError

PRODUCTION = {
    "QIYOU_ENV": "production",
    "QIYOU_DATABASE_URL": "postgresql://qiyou@db.internal/qiyou",
    "QIYOU_JWT_SECRET": "j" * 40,
    "QIYOU_DATA_KEY": "A" * 43,
}

# The examples, each once accepted silently or answered with a traceback.
BAD_VALUES = [
    ("QIYOU_DATABASE_URL", "mysql://qiyou:secret@db/qiyou", "postgresql"),
    ("QIYOU_TRUSTED_PROXIES", "10.0.0.1,notanip", "'notanip' is not an IP address"),
    ("QIYOU_RATE_LIMIT_ENABLED", "maybe", "true/false"),
    ("QIYOU_MAX_BODY_BYTES", "-5", ">= 1"),
    ("QIYOU_DB_POOL_SIZE", "0", ">= 1"),
    ("QIYOU_LOG_LEVEL", "LOUD", "CRITICAL, ERROR, WARNING, INFO, DEBUG"),
]


@pytest.fixture
def base(tmp_path: Path) -> dict[str, str]:
    return {"QIYOU_DATA_DIR": str(tmp_path / "data")}


@pytest.mark.parametrize(("name", "value", "explained"), BAD_VALUES)
def test_a_bad_value_is_refused_in_one_line_naming_the_variable(
    base: dict[str, str], name: str, value: str, explained: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**base, name: value})
    message = str(refused.value)
    assert message.startswith(name), message
    assert explained in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QIYOU_ENV", "prod"),
        ("QIYOU_DB_MAX_OVERFLOW", "-1"),
        ("QIYOU_DB_READ_POOL_SIZE", "many"),
        ("QIYOU_MAX_IN_FLIGHT", "-1"),
        ("QIYOU_ACCESS_TOKEN_TTL", "0"),
        ("QIYOU_DB_CONNECT_TIMEOUT", "0"),
        ("QIYOU_DB_STATEMENT_TIMEOUT", "soon"),
        ("QIYOU_DB_POOL_TIMEOUT", "-3"),
        ("QIYOU_LOG_JSON", "sometimes"),
        ("QIYOU_ACCESS_LOG", "2"),
        ("QIYOU_METRICS", "public"),
        ("QIYOU_METRICS_ALLOW", "10.0.0.0/33"),
        ("QIYOU_METRICS_TOKEN", "short"),
        ("QIYOU_SCHEMA", "yes please"),
        ("QIYOU_DEV_ROUTES", "enabled"),
        ("QIYOU_REDIS_URL", "http://cache:6379"),
        ("QIYOU_DATABASE_URL", "db.internal:5432/qiyou"),
    ],
)
def test_every_setting_is_checked(base: dict[str, str], name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({**base, name: value})


def test_secret_values_are_not_repeated_in_the_error(base: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**base, "QIYOU_DATABASE_URL": "mysql://qiyou:hunter2@db/qiyou"})
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    ("word", "meaning"),
    [("true", True), ("On", True), ("1", True), ("yes", True), ("false", False), ("OFF", False)],
)
def test_switches_take_the_usual_words(base: dict[str, str], word: str, meaning: bool) -> None:
    settings = Settings.from_env({**base, "QIYOU_ACCESS_LOG": word})
    assert settings.access_log is meaning


def test_values_are_read_and_typed(base: dict[str, str]) -> None:
    settings = Settings.from_env(
        {
            **base,
            "QIYOU_ENV": "Development",
            "QIYOU_DATABASE_URL": "postgres://qiyou@db/qiyou",
            "QIYOU_DB_POOL_SIZE": "7",
            "QIYOU_DB_CONNECT_TIMEOUT": "2.5",
            "QIYOU_DB_STATEMENT_TIMEOUT": "4",
            "QIYOU_DB_POOL_TIMEOUT": "3",
            "QIYOU_LOG_LEVEL": "debug",
            "QIYOU_TRUSTED_PROXIES": "10.0.0.0/8, ::1",
            "QIYOU_MAX_IN_FLIGHT": "0",
            "QIYOU_RATE_LIMIT_ENABLED": "",
        }
    )
    assert settings.env == "development"
    assert settings.env_chosen
    assert settings.db_pool_size == 7
    assert (settings.db_connect_timeout, settings.db_statement_timeout) == (2.5, 4.0)
    assert settings.db_pool_timeout == 3.0
    assert settings.log_level == "DEBUG"
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "::1/128"]
    assert settings.max_in_flight == 0
    # An empty variable is an unset one.
    assert settings.rate_limit_enabled is True


def test_development_by_default_is_not_a_chosen_mode(base: dict[str, str]) -> None:
    settings = Settings.from_env(base)
    assert settings.env == "development"
    assert not settings.env_chosen
    assert not settings.dev_routes_enabled
    assert Settings.from_env({**base, "QIYOU_DEV_ROUTES": "on"}).dev_routes_enabled
    chosen = Settings.from_env({**base, "QIYOU_ENV": "development"})
    assert chosen.dev_routes_enabled
    assert not Settings.from_env(
        {**base, "QIYOU_ENV": "development", "QIYOU_DEV_ROUTES": "off"}
    ).dev_routes_enabled
    # What the tests construct keeps them.
    assert Settings(env="test").dev_routes_enabled


def test_production_closes_what_is_only_for_developers() -> None:
    settings = Settings.from_env(PRODUCTION)
    assert not settings.dev_routes_enabled
    assert not settings.metrics_enabled
    assert not settings.schema_enabled
    assert settings.log_json
    with pytest.raises(SettingsError, match="QIYOU_DEV_ROUTES"):
        Settings.from_env({**PRODUCTION, "QIYOU_DEV_ROUTES": "on"})
    with pytest.raises(SettingsError, match="QIYOU_METRICS_TOKEN or QIYOU_METRICS_ALLOW"):
        Settings.from_env({**PRODUCTION, "QIYOU_METRICS": "on"})
    guarded = Settings.from_env({**PRODUCTION, "QIYOU_METRICS_ALLOW": "10.1.0.0/16"})
    assert guarded.metrics_enabled
    assert Settings.from_env({**PRODUCTION, "QIYOU_SCHEMA": "on"}).schema_enabled


def test_outside_production_metrics_and_schema_are_on(base: dict[str, str]) -> None:
    settings = Settings.from_env(base)
    assert settings.metrics_enabled
    assert settings.schema_enabled
    assert not Settings.from_env({**base, "QIYOU_METRICS": "off"}).metrics_enabled
