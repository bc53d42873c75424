"""The two servers under test, started as production starts Qiyou, and their measurements."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.bench.database import ROOT

PYTHON = Path(sys.executable)
QIYOU = PYTHON.parent / "qiyou"
HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class ProductionSettings:
    """What ``QIYOU_ENV=production`` insists on, given explicitly."""

    database_url: str
    jwt_secret: str
    data_key: str
    pool_size: int = 20
    max_overflow: int = 0
    read_pool_size: int = 10
    access_log: bool = True
    # The in-process job worker of ``qiyou run`` (QIYOU_WORKER), on as in production.
    worker: bool = True

    @property
    def connections(self) -> int:
        """All the database connections the worker may hold: the sessions' and the reads'."""
        return self.pool_size + self.max_overflow + self.read_pool_size

    def environ(self) -> dict[str, str]:
        return {
            "QIYOU_ACCESS_LOG": "true" if self.access_log else "false",
            "QIYOU_WORKER": "on" if self.worker else "off",
            "QIYOU_ENV": "production",
            "QIYOU_DATABASE_URL": self.database_url,
            "QIYOU_JWT_SECRET": self.jwt_secret,
            "QIYOU_DATA_KEY": self.data_key,
            # Production refuses limits off. None of the benchmarked routes has a limit (only
            # SMS codes, registration and login do), so they stay on as in production.
            "QIYOU_RATE_LIMIT_ENABLED": "true",
            "QIYOU_DB_POOL_SIZE": str(self.pool_size),
            "QIYOU_DB_MAX_OVERFLOW": str(self.max_overflow),
            "QIYOU_DB_READ_POOL_SIZE": str(self.read_pool_size),
        }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _clean_environ() -> dict[str, str]:
    """This process's environment without any QIYOU_* setting that could leak in."""
    return {k: v for k, v in os.environ.items() if not k.startswith("QIYOU_")}


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    rss_peak_sampled: int = 0
    _sampler: threading.Thread | None = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, path: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=2) as response:
                    if response.status == 200:
                        self._start_sampler()
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s; see {self.log_path}")

    def _start_sampler(self) -> None:
        def sample() -> None:
            proc = psutil.Process(self.pid)
            while not self._stop.wait(0.25):
                with contextlib.suppress(psutil.Error):
                    self.rss_peak_sampled = max(self.rss_peak_sampled, proc.memory_info().rss)

        self._sampler = threading.Thread(target=sample, name=f"rss-{self.name}", daemon=True)
        self._sampler.start()

    def rss_now(self) -> int:
        return int(psutil.Process(self.pid).memory_info().rss)

    def rss_high_water(self) -> int:
        """VmHWM: the kernel's own peak resident set of the process, in bytes."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        self._stop.set()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _spawn(name: str, command: list[str], environ: dict[str, str], log_dir: Path) -> Server:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT
        )
    return Server(
        name=name,
        port=int(command[command.index("--port") + 1]),
        process=process,
        log_path=log_path,
    )


def start_ours(settings: ProductionSettings, port: int, log_dir: Path) -> Server:
    """``qiyou run --workers 1`` in production settings: migrate, then uvicorn in-process."""
    environ = {**_clean_environ(), **settings.environ()}
    command = [str(QIYOU), "run", "--host", HOST, "--port", str(port), "--workers", "1"]
    server = _spawn("ours", command, environ, log_dir)
    server.wait_ready("/health/ready")
    return server


def start_ceiling(
    dsn: str, pool_size: int, port: int, log_dir: Path, *, data_key: str, jwt_secret: str = ""
) -> Server:
    """The ceiling under uvicorn with the flags ``qiyou run`` passes to ``uvicorn.run``."""
    environ = {
        **_clean_environ(),
        "QIYOU_BENCH_DSN": dsn,
        "QIYOU_BENCH_POOL_SIZE": str(pool_size),
        # To seal and open codes as Qiyou does (URL-safe base64, as QIYOU_DATA_KEY).
        "QIYOU_BENCH_DATA_KEY": data_key,
        # Qiyou's token secret: the caregiver's day and the roster verify tokens as Qiyou does.
        "QIYOU_BENCH_JWT_SECRET": jwt_secret,
    }
    command = [
        str(PYTHON),
        "-m",
        "uvicorn",
        "tests.bench.ceiling:create",
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-proxy-headers",
        "--no-server-header",
        "--no-access-log",
        "--log-level",
        "info",
    ]
    server = _spawn("ceiling", command, environ, log_dir)
    server.wait_ready("/health/live")
    return server


def postgres_cpu_seconds(postmaster_pid: int) -> float:
    """CPU time of the PostgreSQL server and all its backends so far."""
    total = 0.0
    with contextlib.suppress(psutil.Error):
        main = psutil.Process(postmaster_pid)
        for proc in [main, *main.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
    return total
