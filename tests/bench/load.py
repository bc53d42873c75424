"""wrk, the load generator: installed when missing, driven through ``lua/bench.lua``."""

from __future__ import annotations

import json
import os
import queue
import resource
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

LUA = Path(__file__).resolve().parent / "lua" / "bench.lua"
RESULT_PREFIX = "QIYOU-BENCH-RESULT "
DONE_MARKER = "QIYOU-BENCH-DONE"
# Far above any latency we expect: wrk leaves slower responses out of its histogram.
REQUEST_TIMEOUT = "60s"


def ensure_wrk() -> str:
    """The path of ``wrk``; installed from Debian's packages when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing and this is not root: run `apt-get install -y wrk`")
    print("installing wrk from Debian's packages ...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("apt-get installed no wrk")
    return found


def wrk_version(wrk: str) -> str:
    completed = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    first = (completed.stdout or completed.stderr).splitlines()[0]
    return " ".join(first.split()[:2])  # "wrk debian/4.1.0-3+b2"


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    token: str | None = None
    body: str | None = None
    # Sent as the Idempotency-Key header (bench.lua's optional fifth column).
    idempotency_key: str | None = None

    def line(self) -> str:
        fields = [self.method, self.path, self.token or "-", self.body or "-"]
        if self.idempotency_key is not None:
            fields.append(self.idempotency_key)
        return "\t".join(fields)


def write_requests(path: Path, requests: list[Request]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(r.line() + "\n" for r in requests))
    return path


@dataclass
class LoadResult:
    """One wrk run against one server."""

    server: str
    mode: str
    connections: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    ok: int
    conflicts: int
    client_errors: int
    server_errors: int
    socket_errors: int
    timeouts: int
    server_cpu: float = 0.0  # share of one core used by the server process
    postgres_cpu: float = 0.0  # share of one core used by PostgreSQL
    wrk_cpu: float = 0.0  # share of one core used by wrk
    others_cpu: float = 0.0  # share of one core used by anything else on the machine
    machine_busy: float = 0.0  # share of all cores busy
    samples: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("raw")
        return data


@dataclass(frozen=True, slots=True)
class Cpu:
    server: float
    postgres: float
    wrk: float
    others: float
    machine: float


class CpuMeter:
    """CPU time across one run: the server under load, PostgreSQL, wrk (this process's only
    child that ends during the run) and whatever else the machine was doing."""

    def __init__(
        self,
        server_pid: int,
        postgres_seconds: Callable[[], float],
        server_seconds: Callable[[], float] | None = None,
    ) -> None:
        self.server_pid = server_pid
        self.postgres_seconds = postgres_seconds
        # With several workers the server is a process tree (servers.tree_cpu_seconds).
        self.server_seconds = server_seconds
        self._start: tuple[float, ...] = ()

    def _server_seconds(self) -> float:
        if self.server_seconds is not None:
            return self.server_seconds()
        proc = psutil.Process(self.server_pid).cpu_times()
        return float(proc.user + proc.system)

    def _read(self) -> tuple[float, ...]:
        server = self._server_seconds()
        total = psutil.cpu_times()
        busy = sum(total) - total.idle - getattr(total, "iowait", 0.0)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        me = resource.getrusage(resource.RUSAGE_SELF)
        return (
            time.monotonic(),
            server,
            float(self.postgres_seconds()),
            children.ru_utime + children.ru_stime,
            me.ru_utime + me.ru_stime,
            busy,
        )

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> Cpu:
        end = self._read()
        wall, server, postgres, wrk, me, busy = (
            b - a for a, b in zip(self._start, end, strict=True)
        )
        wall = max(wall, 1e-6)
        others = max(0.0, busy - server - postgres - wrk - me)
        return Cpu(
            server=server / wall,
            postgres=postgres / wall,
            wrk=wrk / wall,
            others=others / wall,
            machine=busy / wall / (psutil.cpu_count() or 1),
        )


def others_busy(exclude_seconds: Callable[[], float], interval: float = 1.0) -> float:
    """Cores used by processes other than ours over ``interval`` (``exclude_seconds`` gives the
    CPU seconds of the processes that are ours)."""
    total = psutil.cpu_times()
    ours = exclude_seconds()
    time.sleep(interval)
    after = psutil.cpu_times()
    busy = (sum(after) - after.idle - getattr(after, "iowait", 0.0)) - (
        sum(total) - total.idle - getattr(total, "iowait", 0.0)
    )
    return max(0.0, busy - (exclude_seconds() - ours)) / interval


def wait_until_quiet(
    exclude_seconds: Callable[[], float], *, threshold: float, max_wait: float
) -> tuple[float, float]:
    """Wait (at most ``max_wait`` seconds) until other processes use less than ``threshold``
    cores; return the seconds waited and the load last seen."""
    started = time.monotonic()
    load = others_busy(exclude_seconds, interval=0.5)
    while load > threshold and time.monotonic() - started < max_wait:
        load = others_busy(exclude_seconds, interval=2.0)
    return time.monotonic() - started, load


def run(
    wrk: str,
    *,
    server: str,
    url: str,
    requests_file: Path,
    mode: str,
    connections: int,
    seconds: float,
    threads: int = 1,
    samples_prefix: Path | None = None,
    meter: CpuMeter | None = None,
) -> LoadResult:
    """Run wrk once. In "once" mode ``seconds`` is only the upper bound: wrk is stopped as soon
    as every request has its answer."""
    command = [
        wrk,
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, int(seconds))}s",
        "--timeout",
        REQUEST_TIMEOUT,
        "-s",
        str(LUA),
        url,
        "--",
        mode,
        str(requests_file),
        str(samples_prefix) if samples_prefix else "-",
        str(threads),
    ]
    if meter:
        meter.start()
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    output: list[str] = []
    done_threads = 0
    deadline = started + seconds + 30
    stopped = False
    while True:
        timeout = max(0.05, deadline - time.monotonic())
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            line = ""
            if not stopped:
                # Bounded: whatever is still missing after the limit, wrk stops now.
                process.send_signal(signal.SIGINT)
                stopped = True
                deadline = time.monotonic() + 30
                continue
            process.kill()
            break
        if line is None:
            break
        output.append(line)
        if mode == "once" and line.startswith(DONE_MARKER):
            done_threads += 1
            if done_threads == threads and not stopped:
                process.send_signal(signal.SIGINT)
                stopped = True
    process.wait(timeout=30)
    cpu = meter.stop() if meter else Cpu(0.0, 0.0, 0.0, 0.0, 0.0)
    result_line = next((x for x in output if x.startswith(RESULT_PREFIX)), None)
    if result_line is None:
        raise RuntimeError("wrk gave no result:\n" + "".join(output))
    raw: dict[str, Any] = json.loads(result_line[len(RESULT_PREFIX) :])
    return _result(server, mode, connections, raw, cpu, samples_prefix)


def _result(
    server: str,
    mode: str,
    connections: int,
    raw: dict[str, Any],
    cpu: Cpu,
    samples_prefix: Path | None,
) -> LoadResult:
    latency = raw["latency_us"]
    status = raw["status"]
    errors = raw["errors"]
    if mode == "once":
        # From the first request sent to the last answer received, measured inside wrk.
        seconds = raw["span_us"] / 1e6
        requests = raw["completed"]
    else:
        seconds = raw["duration_us"] / 1e6
        requests = raw["requests"]
    samples: dict[str, str] = {}
    if samples_prefix is not None:
        for path in sorted(samples_prefix.parent.glob(samples_prefix.name + ".*.json")):
            kind = path.name.removesuffix(".json").rsplit(".", 1)[-1]
            samples.setdefault(kind, path.read_text())
    return LoadResult(
        server=server,
        mode=mode,
        connections=connections,
        requests=requests,
        seconds=round(seconds, 3),
        rps=round(requests / seconds, 1) if seconds > 0 else 0.0,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        mean_ms=round(latency["mean"] / 1000, 3),
        ok=status["2xx"],
        conflicts=status["409"],
        client_errors=status["4xx"],
        server_errors=status["5xx"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"],
        # In "once" mode idle connections count as timed out in wrk's book; meaningless there.
        timeouts=errors["timeout"] if mode == "cycle" else 0,
        server_cpu=round(cpu.server, 3),
        postgres_cpu=round(cpu.postgres, 3),
        wrk_cpu=round(cpu.wrk, 3),
        others_cpu=round(cpu.others, 3),
        machine_busy=round(cpu.machine, 3),
        samples=samples,
        raw=raw,
    )
