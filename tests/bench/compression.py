"""CPU per answer of gzip and brotli at several levels, and of the ETag, on answers of the
benchmark's shapes: the home screen (the real catalogue of migration 0002 in Chinese, three
upcoming events and a booking: 9.5 kB) and the events page (20 events with Chinese titles and
summaries, the default page).

    .venv/bin/python -m tests.bench.compression

Each cell is the fastest of 15 rounds of ``timeit`` on the same body, calling what
``backend/core/compression.py`` calls (``gzip.compress``, ``brotli.compress``, BLAKE2b), plus
Litestar's ``GzipCompression`` facade for comparison (what the app used before). The machine is
shared: compare the columns of one run, not runs.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import time
import timeit
import uuid
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import brotli
import msgspec
from litestar.config.compression import CompressionConfig
from litestar.middleware.compression.gzip_facade import GzipCompression

from backend.core import compression

ROOT = Path(__file__).resolve().parents[2]


def _catalogue() -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location(
        "catalog_0002", ROOT / "alembic" / "versions" / "0002_catalog.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    programs = []
    for code, name_zh, _, description_zh, _ in module.PROGRAMS:
        services = [
            {
                "code": s[0],
                "name": s[3],
                "description": s[5],
                "kind": s[1],
                "audience": s[2],
            }
            for s in module.SERVICES.get(code, [])
        ]
        programs.append(
            {"code": code, "name": name_zh, "description": description_zh, "services": services}
        )
    return programs


def _event(n: int, start: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=n + 1)),
        "title": f"运河文化之夜·第{n + 1}期：听老嘉兴讲运河边的故事",
        "summary": (
            "本期邀请民俗专家讲述运河边的旧事，现场有评弹表演和非遗手作体验，欢迎携家人参加。"
        ),
        "category": "canal_culture",
        "audience": "all",
        "location": "高照街道三合一服务综合体 二楼多功能厅",
        "startsAt": (start + timedelta(days=n)).isoformat(),
        "endsAt": (start + timedelta(days=n, hours=2)).isoformat(),
        "registrationOpensAt": (start - timedelta(days=7)).isoformat(),
        "registrationClosesAt": (start + timedelta(days=n, hours=-1)).isoformat(),
        "capacity": 120,
        "maxSeatsPerRegistration": 4,
        "status": "published",
        "seatsLeft": 37 + n,
        "waitlistLength": 0,
        "registrationOpen": True,
        "roomId": str(uuid.UUID(int=1000 + n)),
    }


def bodies() -> dict[str, bytes]:
    start = datetime(2027, 3, 2, 11, tzinfo=UTC)
    events = [_event(n, start) for n in range(20)]
    booking = {
        "id": str(uuid.UUID(int=5000)),
        "roomId": str(uuid.UUID(int=1000)),
        "roomName": "书画室",
        "venueName": "高照三合一服务综合体",
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(hours=1)).isoformat(),
        "status": "confirmed",
        "purpose": "书法兴趣小组活动",
        "attendees": 6,
        "checkInCode": "K7Q2-M9XA-3FJD",
        "cancellable": True,
    }
    home = {
        "programs": _catalogue(),
        "unreadCount": 2,
        "nextBooking": booking,
        "upcomingEvents": events[:3],
    }
    page = {"items": events, "nextCursor": "eyJzIjoiMjAyNy0wMy0yMlQxMTowMDowMFoiLCJpIjoiMDAwIn0"}
    return {"home": msgspec.json.encode(home), "events page": msgspec.json.encode(page)}


def _best_us(fn: Any, number: int = 100, rounds: int = 15) -> float:
    # CPU time of this process, the fastest round: the others measured the machine's other
    # tenants too.
    rounds_s = timeit.repeat(fn, number=number, repeat=rounds, timer=time.process_time)
    return min(rounds_s) / number * 1e6


def _facade(body: bytes, level: int) -> bytes:
    buffer = BytesIO()
    facade = GzipCompression(
        buffer=buffer,
        compression_encoding="gzip",
        config=CompressionConfig(backend="gzip", gzip_compress_level=level),
    )
    facade.write(body)
    facade.close()
    return buffer.getvalue()


def main() -> None:
    candidates: list[tuple[str, Any]] = [
        ("gzip facade 6 (before)", lambda b: _facade(b, 6)),
        *[
            (f"gzip {level}", lambda b, level=level: gzip.compress(b, level, mtime=0))
            for level in (1, 4, 6, 9)
        ],
        *[
            (
                f"br {q} (lgwin {w})",
                lambda b, q=q, w=w: brotli.compress(b, mode=brotli.MODE_TEXT, quality=q, lgwin=w),
            )
            for q, w in ((1, 16), (3, 16), (4, 16), (4, 22), (5, 16), (5, 22), (6, 16), (11, 16))
        ],
        ("ETag (SHA-256, 128 bits)", compression.entity_tag),
        ("BLAKE2b-128 (comparison)", lambda b: hashlib.blake2b(b, digest_size=16).digest()),
        ("md5 (comparison)", lambda b: hashlib.md5(b).digest()),
    ]
    for name, body in bodies().items():
        print(f"\n{name}: {len(body)} bytes")
        print(f"{'':26} {'µs':>8} {'bytes':>7}")
        for label, fn in candidates:
            out = fn(body)
            size = len(out) if label.startswith(("gzip", "br")) else 0
            print(f"{label:26} {_best_us(lambda fn=fn, body=body: fn(body)):8.1f} {size or '':>7}")
        chosen = compression.compress("br", body), compression.compress("gzip", body)
        assert brotli.decompress(chosen[0]) == body
        assert gzip.decompress(chosen[1]) == body


if __name__ == "__main__":
    main()
