"""``qiyou worker`` as an operator runs it, and the QIYOU_WORKER settings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend.config import Settings, SettingsError
from backend.core.database import plain_url
from tests.conftest import ROOT, TEST_JWT_SECRET

KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"


def test_qiyou_worker_starts_and_stops_cleanly_on_sigterm(
    database_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "QIYOU_DATABASE_URL": plain_url(database_url),
        "QIYOU_DATA_DIR": str(tmp_path),
        "QIYOU_JWT_SECRET": TEST_JWT_SECRET,
        "QIYOU_DATA_KEY": KEY,
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "worker", "--concurrency", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while b"Starting worker" not in log.read_bytes():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Qiyou worker: concurrency 2" in log.read_text()


def test_the_worker_is_on_from_the_environment_unless_switched_off() -> None:
    base = {"QIYOU_JWT_SECRET": TEST_JWT_SECRET, "QIYOU_DATA_KEY": KEY}
    assert Settings.from_env(base).worker is True
    assert Settings.from_env({**base, "QIYOU_WORKER": "OFF"}).worker is False
    assert Settings(jwt_secret=TEST_JWT_SECRET).worker is False  # built by hand: tests drain
    changed = Settings.from_env(
        {**base, "QIYOU_WORKER_CONCURRENCY": "8", "QIYOU_JOB_RETRY_BASE": "2.5"}
    )
    assert (changed.worker_concurrency, changed.job_retry_base_seconds) == (8, 2.5)
    with pytest.raises(SettingsError, match="QIYOU_WORKER"):
        Settings.from_env({**base, "QIYOU_WORKER": "sometimes"})
    with pytest.raises(SettingsError, match="QIYOU_WORKER_CONCURRENCY"):
        Settings.from_env({**base, "QIYOU_WORKER_CONCURRENCY": "0"})
