"""Alembic driven from code: ``qiyou db upgrade``, ``qiyou run`` and the tests all come here."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    # ConfigParser interpolation would read '%' in a URL as a reference.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _with_key(config: Config, data_key: bytes | None) -> Config:
    # A migration that converts stored personal data (0007: codes sealed under the data key)
    # reads the key from here; it is never written to alembic.ini or the environment.
    config.attributes["data_key"] = data_key
    return config


def upgrade(url: str, revision: str = "head", *, data_key: bytes | None = None) -> None:
    command.upgrade(_with_key(alembic_config(url), data_key), revision)


def downgrade(url: str, revision: str, *, data_key: bytes | None = None) -> None:
    command.downgrade(_with_key(alembic_config(url), data_key), revision)


def current(url: str) -> None:
    command.current(alembic_config(url), verbose=True)
