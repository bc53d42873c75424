"""Where the time goes: py-spy samples of the server under load, sorted into parts.

py-spy (``record --format raw``) writes one line per distinct stack: ``frame;frame;... count``,
outermost frame first, each frame ``function (path)``. (The benchmark's CPU meter, not the
sample count, says how busy the worker was: py-spy's idea of "idle" differs.)

Two views:

* **self time by part**: each sample goes to the part its innermost frame belongs to (the
  asyncpg driver, SQLAlchemy's ORM, Litestar's routing, structlog, ...). C code (msgspec,
  httptools, uvloop) has no frame of its own: its time shows in the Python frame that called it.
* **inside**: the share of samples with a given frame anywhere on the stack (e.g. "inside the
  JWT middleware"), which includes whatever that frame called.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

RATE = 100

# (part, pattern on the frame's file path), first match wins; checked against the innermost
# frame for self time.
PARTS: tuple[tuple[str, str], ...] = (
    ("event loop (uvloop C code: sockets, callbacks)", r"asyncio/runners\.py|asyncio/base_events"),
    ("uvicorn + httptools (HTTP/1.1, ASGI glue)", r"/uvicorn/"),
    (
        "JWT: Litestar middleware + PyJWT",
        r"/jwt/|litestar/security/jwt|/litestar/middleware/authentication",
    ),
    (
        "access log (structlog, logging middleware)",
        r"/structlog/|litestar/middleware/logging|/logging/__init__",
    ),
    ("Prometheus middleware", r"/prometheus_client/|litestar/plugins/prometheus"),
    ("response encoding (msgspec via Litestar)", r"litestar/serialization|litestar/response"),
    ("Litestar: routing, DI, params, middleware", r"/litestar/"),
    ("advanced-alchemy (session per request)", r"/advanced_alchemy/"),
    ("SQLAlchemy ORM (entities, identity map)", r"sqlalchemy/orm/"),
    (
        "SQLAlchemy asyncpg dialect + greenlet bridge",
        r"sqlalchemy/dialects/postgresql/asyncpg|sqlalchemy/util/_concurrency|/greenlet/",
    ),
    ("SQLAlchemy SQL compile/cache, engine, pool", r"/sqlalchemy/"),
    ("asyncpg driver", r"/asyncpg/"),
    ("Qiyou: request id middleware", r"backend/core/observability"),
    ("Qiyou code (backend/, schemas/)", r"/backend/|/schemas/"),
    ("anyio (task group per request)", r"/anyio/"),
    ("the ceiling's own code", r"tests/bench/ceiling"),
    ("datetime, zoneinfo, uuid (stdlib)", r"/(datetime|zoneinfo/|uuid|_strptime)"),
    ("other stdlib", r"/lib/python3\.\d+/"),
)

# (what, pattern on a frame): the share of samples with such a frame anywhere on the stack.
# Middleware wraps everything below it, so its own cost is in the self-time view instead; and
# SQLAlchemy's async work runs in greenlets whose stacks do not lead back to the route
# coroutine, so "inside the route handler" cannot be counted this way.
INSIDE: tuple[tuple[str, str], ...] = (
    ("SQLAlchemy, all of it", r"/sqlalchemy/"),
    ("SQLAlchemy: building and cache-keying statements", r"sqlalchemy/sql/"),
    ("SQLAlchemy: Session and transaction bookkeeping", r"sqlalchemy/orm/session\.py"),
    (
        "SQLAlchemy: turning result rows into rows/entities",
        r"sqlalchemy/orm/loading|sqlalchemy/engine/(result|cursor)",
    ),
    ("asyncpg (Python parts of the driver)", r"/asyncpg/"),
    ("BEGIN and COMMIT (asyncpg transaction start/commit)", r"asyncpg/transaction\.py"),
    ("Prometheus client (labels, observe)", r"/prometheus_client/"),
    ("anyio task group: Litestar resolving 2+ dependencies in parallel", r"/anyio/"),
    ("Litestar: parameter parsing and validation", r"litestar/_signature|litestar/_kwargs"),
    (
        "a sync guard run in a worker thread (sync_to_thread)",
        r"litestar/concurrency|concurrent/futures",
    ),
    ("JWT authentication", r"litestar/security/jwt|/jwt/|optional_user"),
    ("access log", r"litestar/middleware/logging|/structlog/"),
    ("response encoding", r"litestar/serialization|litestar/response"),
    ("advanced-alchemy: commit and close per request", r"advanced_alchemy/extensions/litestar"),
)

_FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>[^()]*)\)$")


def ensure_py_spy() -> str | None:
    """py-spy next to this Python, installed from PyPI into the venv when missing."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.exists():
        return str(beside)
    found = shutil.which("py-spy")
    if found:
        return found
    print("installing py-spy from PyPI into the venv ...", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "py-spy"], check=False)
    return str(beside) if beside.exists() else None


class Recorder:
    """``py-spy record`` of one process, started after a delay in a thread of its own."""

    def __init__(self, py_spy: str, pid: int, seconds: int, output: Path) -> None:
        self.command = [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            str(RATE),
            "--format",
            "raw",
            "--full-filenames",
            "--nolineno",
            "--nonblocking",
            "--output",
            str(output),
        ]
        self.seconds = seconds
        self.output = output
        self._thread: threading.Thread | None = None
        self.returncode: int | None = None

    def start(self, delay: float) -> None:
        self.output.parent.mkdir(parents=True, exist_ok=True)

        def record() -> None:
            time.sleep(delay)
            completed = subprocess.run(self.command, capture_output=True, check=False)
            self.returncode = completed.returncode

        self._thread = threading.Thread(target=record, daemon=True)
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=self.seconds + 60)


def _stacks(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        text, _, count = line.rpartition(" ")
        if not text or not count.isdigit():
            continue
        frames = []
        for raw in text.split(";"):
            match = _FRAME.match(raw)
            frames.append((match["function"], match["path"]) if match else (raw, ""))
        stacks.append((frames, int(count)))
    return stacks


def _part(path: str) -> str:
    for part, pattern in PARTS:
        if re.search(pattern, path):
            return part
    return "other"


def analyse(path: Path) -> dict[str, Any]:
    """Self time by part, shares inside key frames and the hottest functions."""
    if not path.exists():
        return {"error": "py-spy wrote no profile (ptrace not permitted?)"}
    stacks = _stacks(path)
    total = sum(count for _, count in stacks)
    if total == 0:
        return {"error": "no samples"}
    parts: Counter[str] = Counter()
    hottest: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    for frames, count in stacks:
        function, file = frames[-1]
        parts[_part(file)] += count
        hottest[f"{function} ({_short(file)})"] += count
        joined = ";".join(f"{f} {p}" for f, p in frames)
        for what, pattern in INSIDE:
            if re.search(pattern, joined):
                inside[what] += count
    return {
        "samples": total,
        "self_by_part": [
            {"part": part, "share": round(n / total, 3)} for part, n in parts.most_common()
        ],
        "inside": [
            {"frame": what, "share": round(inside[what] / total, 3)}
            for what, _ in INSIDE
            if inside[what]
        ],
        "hottest_functions": [
            {"function": name, "share": round(n / total, 3)} for name, n in hottest.most_common(12)
        ],
    }


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def one_line(analysis: dict[str, Any]) -> str:
    if "error" in analysis:
        return str(analysis["error"])
    top = ", ".join(
        f"{p['part'].split(' (')[0]} {p['share']:.0%}" for p in analysis["self_by_part"][:4]
    )
    return f"{analysis['samples']} samples; {top}"
