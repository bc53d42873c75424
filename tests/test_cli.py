"""The ``qiyou`` command refuses bad settings in one line, and a development server that others
could reach."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from backend.cli import _banner, _choose_dev_routes, is_loopback, main
from backend.config import Settings
from backend.core.database import plain_url
from tests.unit.test_settings import BAD_VALUES

# Never reached: every case here must be refused before the database is touched.
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nothing"

SUBCOMMANDS = [
    ["run", "--port", "18109"],
    ["db", "upgrade"],
    ["db", "downgrade", "base"],
    ["db", "current"],
    [
        "users",
        "create",
        "--phone",
        "13900000001",
        "--password",
        "Qiyou-pass-2026",
        "--role",
        "admin",
    ],
    ["demo"],
]


def invoke(args: list[str], env: dict[str, str]) -> tuple[int, str, BaseException | None]:
    runner = CliRunner()
    result = runner.invoke(main, args, env=env)
    return result.exit_code, result.output, result.exception


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # CliRunner sets these for the call and restores the environment afterwards; None unsets.
    return {
        "QIYOU_DATA_DIR": str(tmp_path / "data"),
        "QIYOU_DATABASE_URL": UNREACHABLE,
        "QIYOU_ENV": None,  # type: ignore[dict-item]
        "QIYOU_DEV_ROUTES": None,  # type: ignore[dict-item]
    }


@pytest.mark.parametrize("args", SUBCOMMANDS, ids=lambda args: " ".join(args[:2]))
@pytest.mark.parametrize(("name", "value", "explained"), BAD_VALUES)
def test_every_subcommand_refuses_a_bad_setting_in_one_line(
    env: dict[str, str], args: list[str], name: str, value: str, explained: str
) -> None:
    code, output, exception = invoke(args, {**env, name: value})
    assert code != 0
    # A click error (SystemExit), not an exception escaping with its traceback.
    assert isinstance(exception, SystemExit), exception
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith(f"Error: {name}"), output
    assert explained in lines[0]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.7", "qiyou.example"])
def test_run_refuses_to_serve_others_in_development_by_default(
    env: dict[str, str], host: str
) -> None:
    code, output, exception = invoke(["run", "--host", host, "--port", "18109"], env)
    assert code != 0
    assert isinstance(exception, SystemExit), exception
    assert "QIYOU_ENV=production" in output
    assert "QIYOU_ENV=development" in output
    assert len(output.strip().splitlines()) == 1, output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("qiyou.example", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_development_chosen_on_another_address_starts_with_a_loud_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(env="development", env_chosen=True)
    assert _choose_dev_routes(settings, "0.0.0.0").dev_routes_enabled
    warning = capsys.readouterr().err
    assert "WARNING" in warning
    assert "login code of any account" in warning


def test_development_by_default_on_loopback_keeps_the_dev_routes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Empty counts as unset; monkeypatch puts back whatever was there after the test.
    monkeypatch.setenv("QIYOU_DEV_ROUTES", "")
    settings = Settings(env="development", env_chosen=False)
    assert not settings.dev_routes_enabled
    chosen = _choose_dev_routes(settings, "127.0.0.1")
    assert chosen.dev_routes_enabled
    # uvicorn's workers are other processes: they learn it from the environment.
    assert os.environ["QIYOU_DEV_ROUTES"] == "on"
    assert capsys.readouterr().err == ""


def test_production_never_gets_the_dev_routes() -> None:
    settings = Settings(env="production", database_url=UNREACHABLE)
    assert not _choose_dev_routes(settings, "0.0.0.0").dev_routes_enabled
    with pytest.raises(click.ClickException):
        _choose_dev_routes(Settings(env="development", env_chosen=False), "0.0.0.0")


def test_a_bare_asgi_server_also_refuses_a_bad_setting_in_one_line(tmp_path: Path) -> None:
    # `uvicorn backend.asgi:create --factory`, as someone may serve it without `qiyou run`.
    environ = {name: value for name, value in os.environ.items() if not name.startswith("QIYOU")}
    environ |= {"QIYOU_DATA_DIR": str(tmp_path), "QIYOU_LOG_LEVEL": "LOUD"}
    code = "import backend.asgi as entry; entry.create()"
    finished = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60
    )
    assert finished.returncode != 0
    assert finished.stderr.strip().splitlines() == [
        "qiyou: QIYOU_LOG_LEVEL='LOUD' is invalid: "
        "expected one of CRITICAL, ERROR, WARNING, INFO, DEBUG"
    ]


@pytest.mark.parametrize("args", [["db", "current"], ["run", "--port", "18109"]])
def test_an_unreachable_database_is_one_line(env: dict[str, str], args: list[str]) -> None:
    code, output, exception = invoke(args, env)
    assert code != 0
    assert isinstance(exception, SystemExit), exception
    lines = output.strip().splitlines()
    assert lines[-1].startswith("Error: cannot reach the database"), output
    assert "QIYOU_DATABASE_URL" in lines[-1]


def test_the_banner_of_a_production_server(tmp_path: Path) -> None:
    settings = Settings(env="production", database_url=UNREACHABLE, data_dir=tmp_path)
    banner = _banner(settings, "0.0.0.0", 8000, None)
    assert banner.splitlines() == [
        "Qiyou: mode production (QIYOU_ENV), development routes off",
        "  API:     http://127.0.0.1:8000/api/v1 (listening on every address)",
        "  docs:    off (QIYOU_SCHEMA=on serves it)",
        "  metrics: off (see QIYOU_METRICS)",
        f"  data:    {tmp_path.resolve()}; database: external (QIYOU_DATABASE_URL)",
    ]
    assert "http://[::1]:8080/api/v1" in _banner(settings, "::1", 8080, None)


@pytest.mark.slow
def test_qiyou_demo_loads_in_a_process_of_its_own(database_url: str, tmp_path: Path) -> None:
    """The README's first command runs ``qiyou demo`` in a process that never builds the app:
    every domain's demo must load there too (childcare's publishing once failed with "no handler
    of childcare holds registered", which no test building the app could see)."""
    environ = {name: value for name, value in os.environ.items() if not name.startswith("QIYOU")}
    environ |= {"QIYOU_DATA_DIR": str(tmp_path), "QIYOU_DATABASE_URL": plain_url(database_url)}
    finished = subprocess.run(
        [sys.executable, "-m", "backend.cli", "demo"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "childcare: " in finished.stdout, finished.stdout  # the last domains' loaders ran
