"""Print the README's robustness figures as Markdown. Runs nothing itself.

    PITH_ROBUSTNESS_LOG=/tmp/robustness.jsonl pytest -q -p no:cacheprovider tests/adversarial
    python tests/adversarial/robustness_table.py /tmp/robustness.jsonl

Reads the JSON-lines log the adversarial suite writes (see tests/adversarial/conftest.py) and
`tests/fuzz/results.json` (written by the fuzz harnesses). A case is one (category, case id);
it counts as a crash, a false verification or data lost if any of the ways it was driven
(library, CLI, --json, cache import...) did. The last three columns must read 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FUZZ_RESULTS = HERE.parent / "fuzz" / "results.json"
ORDER = (
    "tampering",
    "malformed",
    "hostile-text",
    "provenance",
    "verdict-rule",
    "network",
    "disk",
    "rollback",
    "query-grammar",
    "resources",
    "property",
)


def read_log(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError:
                sys.exit(f"{path}:{number}: not a JSON line")
    return rows


def case_table(rows: list[dict[str, Any]]) -> tuple[list[str], dict[str, int]]:
    cases: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["category"], row["case_id"])
        case = cases.setdefault(
            key,
            {
                "runs": 0,
                "crashed": False,
                "false_verified": False,
                "data_lost": False,
                "failed": False,
            },
        )
        case["runs"] += 1
        for flag in ("crashed", "false_verified", "data_lost"):
            case[flag] = case[flag] or bool(row.get(flag))
        case["failed"] = case["failed"] or not row.get("passed", True)
    by_category: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (category, _), case in cases.items():
        counts = by_category[category]
        counts["cases"] += 1
        counts["runs"] += case["runs"]
        for flag in ("crashed", "false_verified", "data_lost", "failed"):
            counts[flag] += int(case[flag])
    categories = sorted(
        by_category, key=lambda c: (ORDER.index(c) if c in ORDER else len(ORDER), c)
    )
    lines = [
        "| Category | Cases | Runs (library, CLI, JSON, import…) | Crashes | False verifications | Data lost |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    total: dict[str, int] = defaultdict(int)
    for category in categories:
        counts = by_category[category]
        for key, value in counts.items():
            total[key] += value
        lines.append(
            f"| {category} | {counts['cases']} | {counts['runs']} | {counts['crashed']} | "
            f"{counts['false_verified']} | {counts['data_lost']} |"
        )
    lines.append(
        f"| **total** | **{total['cases']}** | **{total['runs']}** | **{total['crashed']}** | "
        f"**{total['false_verified']}** | **{total['data_lost']}** |"
    )
    return lines, total


def _runs(entry: Any) -> list[dict[str, Any]]:
    if isinstance(entry, dict) and isinstance(entry.get("runs"), list):
        return entry["runs"]
    return [entry] if isinstance(entry, dict) else []


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def fuzz_table(path: Path) -> list[str]:
    if not path.exists():
        return [f"(no fuzzing results: {path} is missing)"]
    results = json.loads(path.read_text())
    lines = [
        "| Fuzz target | Engine | Run time | Executions | Findings (all runs) | Open (latest run) |",
        "|---|---|---:|---:|---|---:|",
    ]
    for target in sorted(results):
        runs = _runs(results[target])
        if not runs:
            continue
        seconds = sum(float(r.get("seconds", 0)) for r in runs)
        executions = sum(int(r.get("executions", 0)) for r in runs)
        kinds = sorted({k for r in runs for k in r.get("finding_kinds", [])})
        latest = runs[-1]
        engines = sorted({str(r.get("engine", "?")) for r in runs})
        found = f"{len(kinds)}: " + "; ".join(kinds) if kinds else "0"
        lines.append(
            f"| {target} | {', '.join(engines)} | {_minutes(seconds)} ({len(runs)} run(s)) | "
            f"{executions:,} | {found} | {int(latest.get('findings', 0))} |"
        )
    return lines


README_START = "<!-- robustness:start (written by tests/adversarial/robustness_table.py) -->"
README_END = "<!-- robustness:end -->"


def write_readme(readme: Path, tables: str) -> None:
    """Replace what stands between the markers with `tables`."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        sys.exit(f"{readme} has no robustness markers")
    readme.write_text(
        text[: start + len(README_START)] + "\n" + tables + "\n" + text[end:], encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", nargs="?", help="the JSON-lines log (default: $PITH_ROBUSTNESS_LOG)")
    parser.add_argument("--fuzz", type=Path, default=FUZZ_RESULTS, help="the fuzzers' results.json")
    parser.add_argument(
        "--readme",
        type=Path,
        help="also write the tables into this README, between the robustness markers",
    )
    args = parser.parse_args(argv)
    log = args.log or os.environ.get("PITH_ROBUSTNESS_LOG")
    if not log:
        parser.error("give the log file, or set PITH_ROBUSTNESS_LOG")
    rows = read_log(Path(log))
    if not rows:
        sys.exit(f"{log} is empty: run the suite with PITH_ROBUSTNESS_LOG={log} first")
    cases, total = case_table(rows)
    tables = "\n".join(cases) + "\n\n" + "\n".join(fuzz_table(args.fuzz))
    print(tables)
    if args.readme is not None:
        write_readme(args.readme, tables)
    if total["failed"]:
        print(
            f"\n{total['failed']} case(s) did not behave as expected in this run.", file=sys.stderr
        )
    bad = total["crashed"] + total["false_verified"] + total["data_lost"]
    return 1 if bad or total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
