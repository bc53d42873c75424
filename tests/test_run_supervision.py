"""``qiyou run`` as an operator runs it: a real process, its embedded PostgreSQL, signals.

If the embedded server dies, the service brings it back; SIGTERM (systemd, Docker, Kubernetes)
stops uvicorn, then the embedded server it started, and exits 0 with nothing left behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    """A loopback port nothing listens on now: parallel runs (xdist workers, other checkouts
    of the project on this machine) must not meet on a fixed one."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = _free_port()
BASE = f"http://127.0.0.1:{PORT}"

pytestmark = pytest.mark.slow


def _postgres_of(pgdata: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        if (
            process.info["name"] == "postgres"
            and process.info["status"] != psutil.STATUS_ZOMBIE
            and str(pgdata) in cmdline
        ):
            found.append(process)
    return found


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _wait_for(condition: object, seconds: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.25)
    tail = log.read_text()[-3000:] if log is not None else ""
    raise AssertionError(f"not within {seconds} s: {what}\n{tail}")


def _ready() -> bool:
    try:
        return httpx.get(f"{BASE}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    data = tmp_path / "data"
    yield data
    # Whatever the test's outcome, leave no server of this folder running.
    for process in _postgres_of(data / "pg"):
        process.kill()


def test_run_restarts_a_dead_embedded_postgres_and_stops_it_on_sigterm(
    data_dir: Path, tmp_path: Path
) -> None:
    pgdata = data_dir / "pg"
    env = {name: value for name, value in os.environ.items() if not name.startswith("QIYOU_")}
    env["QIYOU_DATA_DIR"] = str(data_dir)
    log = tmp_path / "run.log"
    with log.open("wb") as output:
        run = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "run", "--port", str(PORT)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(_ready, 60, "the service is ready", log)
        banner = log.read_text()
        assert "mode development" in banner
        assert f"{BASE}/api/v1" in banner
        assert f"{BASE}/schema" in banner
        assert str(data_dir.resolve()) in banner
        # Loopback and no mode chosen: the newcomer's start keeps the development routes.
        paths = httpx.get(f"{BASE}/schema/openapi.json", timeout=5).json()["paths"]
        assert "/api/v1/dev/sms-codes/latest" in paths

        first = _postmaster_pid(pgdata)
        assert first is not None
        os.kill(first, signal.SIGKILL)
        _wait_for(
            lambda: (
                _postmaster_pid(pgdata) not in (None, first)
                and "is running again" in log.read_text()
                and _ready()
            ),
            30,
            "the embedded server was started again and the service is ready",
            log,
        )

        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=30) == 0, log.read_text()[-3000:]
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert not (pgdata / "postmaster.pid").exists()
    assert _postgres_of(pgdata) == []
