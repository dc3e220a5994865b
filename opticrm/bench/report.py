"""The benchmark's one table: printed, and written as JSON and Markdown."""

import json
from pathlib import Path

# Targets of issue 8: p95 in milliseconds by number of concurrent clients.
P95_TARGET_MS = {1: 50.0, 16: 200.0}
ADMIN_RATIO_TARGET = 3.0
WORKER_RSS_TARGET_MB = 200.0


def target_ms(clients: int, scenario: dict | None = None) -> float | None:
    """The scenario's own targets (``targets``: by clients, in place of the
    common ones, as an issue sets them: the start page and the reports for
    one client only), else the common one for this many clients."""
    own = {int(key): value for key, value in ((scenario or {}).get("targets") or {}).items()}
    if own:
        return own.get(clients)
    return P95_TARGET_MS.get(clients)


def row_ok(row: dict) -> bool | None:
    """Met, missed, or no target (the admin list is a yardstick, not a goal)."""
    if row["errors"]:
        return False
    if row["group"] == "admin" or row["target_ms"] is None:
        return None
    return row["p95_ms"] <= row["target_ms"]


def _mark(ok: bool | None) -> str:
    return {True: "ok", False: "MISSED", None: ""}[ok]


HEADER = (
    "scenario", "clients", "n", "p50 ms", "p95 ms", "p99 ms", "req/s", "speed ms", "target", ""
)  # fmt: skip


def _cells(row: dict) -> tuple:
    target = f"p95 < {row['target_ms']:.0f}" if row["target_ms"] and row["group"] != "admin" else ""
    return (
        row["name"],
        str(row["clients"]),
        str(row["n"]),
        f"{row['p50_ms']:.1f}",
        f"{row['p95_ms']:.1f}",
        f"{row['p99_ms']:.1f}",
        f"{row['rps']:.0f}",
        f"{row['speed_ms']:.0f}" if row.get("speed_ms") else "",
        target,
        _mark(row["ok"]) + (f" ({len(row['errors'])} errors)" if row["errors"] else ""),
    )


def all_met(result: dict) -> bool:
    s = result["summary"]
    rows_ok = all(row["ok"] is not False for row in result["rows"] + result.get("steps", []))
    return rows_ok and bool(s) and s["admin_ratio_ok"] and s["worker_rss_ok"]


def summary_lines(result: dict) -> list[str]:
    s = result["summary"]
    return [
        f"Customer list vs. admin change list (p50, 1 client): {s['admin_ratio']:.1f}× faster "
        f"(target ≥ {ADMIN_RATIO_TARGET:.0f}×) {_mark(s['admin_ratio_ok'])}",
        f"Bare SQL behind the customer list: p50 {s['list_sql_p50_ms']:.1f} ms for "
        f"{s['list_sql_queries']} queries; the page takes {s['list_to_sql_ratio']:.1f}× that",
        f"Gunicorn workers after the run: {', '.join(f'{mb:.0f}' for mb in s['worker_rss_mb'])} MB "
        f"(target < {WORKER_RSS_TARGET_MB:.0f} MB) {_mark(s['worker_rss_ok'])}",
        f"Targets: {s['met']} of {s['with_target']} met.",
    ]


STEP_HEADER = (
    "step",
    "runs",
    "p50 ms",
    "p95 ms",
    "max ms",
    "items per run",
    "peak MB",
    "target",
    "",
)


def _step_target(row: dict) -> str:
    if row.get("memory_target_mb"):
        return f"peak < {row['memory_target_mb']:,.0f} MB"
    figure = {"max_ms": "max", "p95_ms": "p95"}[row["judged"]]
    return f"{figure} < {row['target_ms']:,.0f}" if row["target_ms"] else ""


def _step_cells(row: dict) -> tuple:
    items = sorted(set(row["items"]))
    return (
        row["name"],
        str(row["n"]),
        f"{row['p50_ms']:.1f}",
        f"{row['p95_ms']:.1f}",
        f"{row['max_ms']:.1f}",
        ", ".join(f"{count:,}" for count in items)
        + (f" ({row['rows_per_s']:,.0f} rows/s)" if "rows_per_s" in row else ""),
        f"{row['peak_mb']:.0f}" if "peak_mb" in row else "",
        _step_target(row),
        _mark(row["ok"]),
    )


def text_table(result: dict) -> str:
    table = _text_table(HEADER, [_cells(row) for row in result["rows"]])
    if result.get("steps"):
        table += "\n\n" + _text_table(STEP_HEADER, [_step_cells(r) for r in result["steps"]])
    return table


def _text_table(header: tuple, cells: list[tuple]) -> str:
    rows = [header, *cells]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    numeric = {1, 2, 3, 4, 5, 6, 7} if header == HEADER else {1, 2, 3, 4, 5}
    lines = []
    for number, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
                for i, cell in enumerate(row)
            ).rstrip()
        )
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _reference(machine: dict) -> list[str]:
    reference = machine.get("reference_ms")
    if not reference:
        return []
    lines = [
        "",
        f"Machine speed (opticrm.bench.run.reference_ms, lower is faster): "
        f"{reference['before']} ms before the run, {reference['after']} ms after; "
        "the column *speed ms* is the same measure just before each row.",
    ]
    parallel = machine.get("parallel")
    if parallel:
        lines += [
            "",
            f"Parallel capacity (opticrm.bench.run.parallel_speedup): {parallel['processes']} "
            f"processes at once did {parallel['speedup']:.2f} times the work of one "
            f"({parallel['processes']} free cores: {parallel['processes']:.1f}).",
        ]
    return lines


def markdown(result: dict) -> str:
    machine = result["machine"]
    sizes = result["sizes"]
    lines = [
        f"Run {result['finished_at']} on {machine['cpu']} ({machine['cores']} cores, "
        f"{machine['memory_gb']:.0f} GiB), PostgreSQL {machine['postgres']}, "
        f"Python {machine['python']}; {sizes['customers']:,} customers, "
        f"{sizes['appointments']:,} appointments, {sizes['products']:,} products; "
        f"gunicorn with {result['server']['workers']} workers.",
        *_reference(machine),
        "",
        "| " + " | ".join(HEADER[:-1]) + " | |",
        "|" + "---|" * 3 + "---:|" * 5 + "---|---|",
    ]
    lines += ["| " + " | ".join(_cells(row)) + " |" for row in result["rows"]]
    if result.get("steps"):
        lines += [
            "",
            "| " + " | ".join(STEP_HEADER[:-1]) + " | |",
            "|---|" + "---:|" * 5 + "---|---|",
            *("| " + " | ".join(_step_cells(row)) + " |" for row in result["steps"]),
        ]
    if result["summary"]:
        lines += ["", *(f"- {line}" for line in summary_lines(result))]
    return "\n".join(lines) + "\n"


def write(result: dict, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    as_json = directory / "bench.json"
    as_markdown = directory / "bench.md"
    as_json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    as_markdown.write_text(markdown(result))
    return as_json, as_markdown
