"""Results: aggregation of rounds, the issue's targets, and the markdown report."""

from __future__ import annotations

from statistics import mean
from typing import Any

from tests.bench.load import LoadResult

# The targets of issue 5 (on the 2-core machine, same run).
EVENTS_LIST_RATIO = 0.60
EVENT_DETAIL_RATIO = 0.75
RUSH_RATIO = 0.50
READ_P99_AT_200_MS = 250.0
WORKER_RSS_MB = 250.0


def _aggregate(results: list[LoadResult]) -> dict[str, Any]:
    requests = sum(r.requests for r in results)
    seconds = sum(r.seconds for r in results)
    return {
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": round(mean(r.p50_ms for r in results), 2),
        "p99_ms": round(max(r.p99_ms for r in results), 2),
        "max_ms": round(max(r.max_ms for r in results), 2),
        "requests": requests,
        "non_2xx": sum(r.requests - r.ok for r in results),
        "conflicts": sum(r.conflicts for r in results),
        "client_errors": sum(r.client_errors for r in results),
        "server_errors": sum(r.server_errors for r in results),
        "socket_errors": sum(r.socket_errors for r in results),
        "timeouts": sum(r.timeouts for r in results),
        "server_cpu": round(mean(r.server_cpu for r in results), 2),
        "postgres_cpu": round(mean(r.postgres_cpu for r in results), 2),
        "wrk_cpu": round(mean(r.wrk_cpu for r in results), 2),
        "others_cpu": round(mean(r.others_cpu for r in results), 2),
        "machine_busy": round(mean(r.machine_busy for r in results), 2),
        "rounds": [{k: v for k, v in r.as_dict().items() if k != "samples"} for r in results],
    }


def read_row(
    endpoint: str, label: str, connections: int, runs: dict[str, list[LoadResult]]
) -> dict[str, Any]:
    ours = _aggregate(runs["ours"])
    ceiling = _aggregate(runs["ceiling"])
    return {
        "endpoint": endpoint,
        "label": label,
        "connections": connections,
        "ours": ours,
        "ceiling": ceiling,
        "ratio": round(ours["rps"] / ceiling["rps"], 3) if ceiling["rps"] else None,
    }


def _ratios(results: dict[str, Any], endpoint: str) -> list[tuple[int, float]]:
    return [
        (row["connections"], row["ratio"])
        for row in results.get("reads", [])
        if row["endpoint"] == endpoint and row["ratio"] is not None
    ]


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for endpoint, label, goal in (
        ("events", "GET /api/v1/events", EVENTS_LIST_RATIO),
        ("event", "GET /api/v1/events/{id}", EVENT_DETAIL_RATIO),
    ):
        ratios = _ratios(results, endpoint)
        if ratios:
            found.append(
                {
                    "target": f"{label} ≥ {goal:.2f} × ceiling",
                    "measured": ", ".join(f"{r:.2f} (c={c})" for c, r in ratios),
                    "met": all(r >= goal for _, r in ratios),
                }
            )
    rush = results.get("rush")
    if rush:
        ours, ceiling = rush["ours"], rush["ceiling"]
        ratio = ours["load"]["rps"] / ceiling["load"]["rps"] if ceiling["load"]["rps"] else 0.0
        oversold = ours["database"]["oversold"]
        errors = ours["load"]["server_errors"]
        found.append(
            {
                "target": f"ticket rush ≥ {RUSH_RATIO:.2f} × ceiling, 0 oversold, 0 5xx",
                "measured": f"{ratio:.2f} ×, {oversold} oversold, {errors} 5xx",
                "met": ratio >= RUSH_RATIO and oversold == 0 and errors == 0,
            }
        )
    meals = results.get("meal_rush")
    if meals:
        ours, ceiling = meals["ours"], meals["ceiling"]
        ratio = ours["load"]["rps"] / ceiling["load"]["rps"] if ceiling["load"]["rps"] else 0.0
        oversold = ours["database"]["oversold"]
        errors = ours["load"]["server_errors"]
        found.append(
            {
                "target": f"meal-order rush ≥ {RUSH_RATIO:.2f} × ceiling, 0 oversold, 0 5xx",
                "measured": f"{ratio:.2f} ×, {oversold} oversold, {errors} 5xx",
                "met": ratio >= RUSH_RATIO and oversold == 0 and errors == 0,
            }
        )
    at_200 = [row for row in results.get("reads", []) if row["connections"] == 200]
    if at_200:
        worst = max(at_200, key=lambda row: row["ours"]["p99_ms"])
        found.append(
            {
                "target": f"p99 of reads at 200 connections ≤ {READ_P99_AT_200_MS:.0f} ms",
                "measured": f"worst {worst['ours']['p99_ms']:.0f} ms ({worst['label']})",
                "met": all(row["ours"]["p99_ms"] <= READ_P99_AT_200_MS for row in at_200),
            }
        )
    rss = results.get("rss", {}).get("ours")
    if rss:
        found.append(
            {
                "target": f"worker peak RSS ≤ {WORKER_RSS_MB:.0f} MB",
                "measured": f"{rss['peak_mb']:.0f} MiB (VmHWM)",
                "met": rss["peak_mb"] <= WORKER_RSS_MB,
            }
        )
    return found


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _errors(side: dict[str, Any]) -> str:
    other = side["non_2xx"] - side["conflicts"] - side["server_errors"]
    text = f"{side['conflicts']} / {side['server_errors']}"
    if other or side["socket_errors"] or side["timeouts"]:
        text += f" (+{other} other, {side['socket_errors']} socket, {side['timeouts']} timeouts)"
    return text


def markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    settings = results.get("settings", {})
    scale = results.get("data", {}).get("scale", {})
    data = ", ".join(f"{k} {v}" for k, v in scale.items())
    lines = [
        f"# Qiyou benchmark — {results['mode']} run, {results['started_at']}",
        "",
        f"Commit {results.get('commit', '?')[:12]}"
        f"{' (dirty tree: uncommitted changes were measured)' if results.get('dirty') else ''}.",
        "",
        f"Machine: {machine['nproc']} × {machine['cpu_model']}, {machine['memory_gib']} GiB, "
        f"Linux {machine['kernel']}; Python {machine['python']}, "
        f"PostgreSQL {machine.get('postgresql', '?')} (embedded), {machine.get('wrk', 'wrk')}. "
        f"Load average at start {machine['load_at_start']}, at end "
        f"{machine.get('load_at_end', '?')}.",
        "",
        f"Qiyou: QIYOU_ENV=production, `qiyou run --workers 1`, access log "
        f"{'on' if settings.get('access_log') else 'off'}, pool {settings.get('db_pool')}; "
        f"the ceiling: same uvicorn flags, asyncpg pool of {settings.get('ceiling_pool')}. "
        f"Data: {data}.",
        "",
    ]
    if results.get("reads"):
        lines += [
            "## Reads",
            "",
            "| endpoint | conns | ours req/s | ceiling req/s | ours / ceiling | ours p50 ms | "
            "ours p99 ms | ceiling p50 ms | ceiling p99 ms | ours 409 / 5xx | ours CPU | PG CPU | "
            "other load |",
            "| --- " + "| ---: " * 12 + "|",
        ]
        for row in results["reads"]:
            ours, ceiling = row["ours"], row["ceiling"]
            lines.append(
                f"| {row['label']} | {row['connections']} | {ours['rps']:.0f} | "
                f"{ceiling['rps']:.0f} | **{row['ratio']:.2f}** | {_ms(ours['p50_ms'])} | "
                f"{_ms(ours['p99_ms'])} | {_ms(ceiling['p50_ms'])} | {_ms(ceiling['p99_ms'])} | "
                f"{_errors(ours)} | {ours['server_cpu']:.0%} | {ours['postgres_cpu']:.0%} | "
                f"{max(ours['others_cpu'], ceiling['others_cpu']):.0%} |"
            )
        lines.append("")
    for key, title in (
        ("rush", "Ticket rush"),
        ("meal_rush", "Meal-order rush"),
        ("storm", "Booking storm"),
    ):
        part = results.get(key)
        if not part:
            continue
        lines += [
            f"## {title}",
            "",
            "| server | req/s | p50 ms | p99 ms | 2xx | 409 | 5xx | database | correct |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        ]
        for which in ("ours", "ceiling"):
            run, db = part[which]["load"], part[which]["database"]
            if key == "rush":
                state = (
                    f"{db['confirmed']} confirmed ({db['seats']} seats of {db['capacity']}), "
                    f"{db['waitlisted']} waitlisted, {db['oversold']} oversold"
                )
            elif key == "meal_rush":
                state = (
                    f"{db['held']} portions ordered of {db['portions']}, {db['oversold']} oversold"
                )
            else:
                state = f"{db['active']} active booking(s) in the slot"
            lines.append(
                f"| {which} | {run['rps']:.0f} | {_ms(run['p50_ms'])} | {_ms(run['p99_ms'])} | "
                f"{run['ok']} | {run['conflicts']} | {run['server_errors']} | {state} | "
                f"{'yes' if db['correct'] else '**NO**'} |"
            )
        ratio = part["ours"]["load"]["rps"] / max(part["ceiling"]["load"]["rps"], 1e-9)
        lines += ["", f"ours / ceiling: **{ratio:.2f}**", ""]
    if results.get("statements"):
        lines += [
            "## SQL statements per request (BEGIN/COMMIT included)",
            "",
            "| request | ours | ceiling |",
            "| --- | ---: | ---: |",
        ]
        for what, counted in results["statements"].items():
            lines.append(
                f"| {what} | {counted['ours']['statements_per_request']:g} | "
                f"{counted['ceiling']['statements_per_request']:g} |"
            )
        lines.append("")
    if results.get("profile"):
        lines += [
            "## Where the time goes (py-spy; reads at 50 connections, rush and storm at 200)",
            "",
            "Self time by part (innermost frame), then the share of samples inside key frames.",
            "",
        ]
        for what, analysis in results["profile"].items():
            if "error" in analysis:
                lines.append(f"- {what}: {analysis['error']}")
                continue
            parts = ", ".join(f"{p['part']} {p['share']:.0%}" for p in analysis["self_by_part"][:8])
            inside = ", ".join(
                f"{i['frame']} {i['share']:.0%}" for i in analysis["inside"] if i["share"] >= 0.03
            )
            cpu = analysis.get("server_cpu_while_profiled", 0.0)
            lines.append(
                f"- **{what}** ({analysis['rps_while_profiled']:.0f} req/s, server CPU {cpu:.0%}, "
                f"{analysis['samples']} samples): {parts}. *Inside:* {inside}."
            )
        lines.append("")
    if results.get("rss"):
        rss = results["rss"]
        lines += [
            "## Memory",
            "",
            f"Worker peak RSS (VmHWM): ours {rss['ours']['peak_mb']} MiB, "
            f"ceiling {rss['ceiling']['peak_mb']} MiB.",
            "",
        ]
    if results.get("targets"):
        lines += ["## Targets (issue 5)", "", "| target | measured | met |", "| --- | --- | --- |"]
        for target in results["targets"]:
            lines.append(
                f"| {target['target']} | {target['measured']} | "
                f"{'yes' if target['met'] else '**no**'} |"
            )
        lines.append("")
    parity_rows = list(results.get("parity", []))
    for key in ("rush", "meal_rush", "storm"):
        parity_rows += results.get(key, {}).get("parity", [])
    if parity_rows:
        bad = [p for p in parity_rows if not p["same_json"]]
        lines += [
            "## Parity",
            "",
            "Reads: same JSON from both (identical bytes: "
            + ", ".join(
                f"{p['what']} {'yes' if p['identical_bytes'] else 'no'}"
                for p in results.get("parity", [])
            )
            + "). Writes: same keys, order and types.",
        ]
        for p in bad:
            lines.append(f"- **differs**: {p['what']}: {'; '.join(p['differences'][:3])}")
        lines.append("")
    if results.get("notes"):
        lines += ["## Notes", ""] + [f"- {note}" for note in results["notes"]] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Render the markdown of a results file again: ``python -m tests.bench.report FILE.json``."""
    import json
    import sys
    from pathlib import Path

    for name in argv if argv is not None else sys.argv[1:]:
        path = Path(name)
        results = json.loads(path.read_text())
        results["targets"] = targets(results)
        path.with_suffix(".md").write_text(markdown(results))
        print(f"wrote {path.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
