"""The fault run as a compact text table, as Markdown, and as JSON."""

import json
from pathlib import Path

MARK = {True: "ok", False: "FAIL"}


def all_met(result: dict) -> bool:
    return all(scenario["status"] != "failed" for scenario in result["scenarios"])


def _rows(result: dict) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for scenario in result["scenarios"]:
        if scenario["status"] == "skipped":
            rows.append((scenario["name"], "skipped", "", scenario["skipped"], "skip"))
        for check in scenario["checks"]:
            rows.append(
                (scenario["name"], check["what"], check["expected"], check["actual"],
                 MARK[check["ok"]])
            )  # fmt: skip
    return rows


def text_table(result: dict) -> str:
    header = ("scenario", "check", "expected", "actual", "")
    rows = [header, *_rows(result)]
    widths = [min(60, max(len(row[i]) for row in rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell[:60].ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    verdict = "all expectations met" if all_met(result) else "EXPECTATIONS FAILED"
    skipped = [s for s in result["scenarios"] if s["status"] == "skipped"]
    if skipped:
        verdict += f" (skipped: {', '.join(s['name'] for s in skipped)})"
    reasons = [f"{s['name']} skipped: {s['skipped']}" for s in skipped]
    return "\n".join([*lines, *reasons, verdict])


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(result: dict) -> str:
    machine = result["machine"]
    lines = [
        f"# Load and fault run, {result['finished_at']}",
        "",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), "
        f"{machine['memory_gb']:.0f} GB, PostgreSQL {machine['postgres']}, "
        f"Python {machine['python']}. Server: gunicorn, {result['server']['workers']} "
        f"workers, CONN_MAX_AGE {result['server']['conn_max_age']}, production settings.",
        "",
        "| Scenario | Check | Expected | Actual | |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(_cell(cell) for cell in row)} |" for row in _rows(result)),
        "",
        "Figures:",
        "",
    ]
    for scenario in result["scenarios"]:
        lines.append(
            f"- **{scenario['name']}** ({scenario['title']}, {scenario['seconds']:.1f} s): "
            f"`{json.dumps(scenario['figures'], ensure_ascii=False)}`"
        )
    lines.append(f"- 500s the app logged: {result['logged_server_errors']}")
    verdict = "All expectations met." if all_met(result) else "**Expectations failed.**"
    return "\n".join([*lines, "", verdict, ""])


def write(result: dict, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    as_json, as_markdown = out / "faults.json", out / "faults.md"
    as_json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    as_markdown.write_text(markdown(result))
    return as_json, as_markdown
