"""Shared helpers of the benchmarks: a dedicated PostgreSQL database, Django set-up against it,
timing (median / p95 / max in milliseconds) and the final table.

The benchmark database is ``salesflow_bench`` on ``BENCH_PG_URL`` (default
``postgres://postgres@127.0.0.1:5432/``); it is never the application's own database. The
scripts run outside the test runner, so ``DATABASE_URL`` is set here *before*
``django.setup()``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/")
DB_NAME = os.environ.get("BENCH_DB_NAME", "salesflow_bench")


# --- database -----------------------------------------------------------------------------


def _admin_connection():
    import psycopg

    return psycopg.connect(PG_URL.rstrip("/") + "/postgres", autocommit=True)


def database_exists() -> bool:
    with _admin_connection() as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
    return row is not None


def create_database(*, fresh: bool = False) -> bool:
    """Create ``salesflow_bench`` (dropping it first with ``fresh``); True when it is new."""
    from psycopg import sql

    with _admin_connection() as conn:
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(DB_NAME)))  # fmt: skip
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    return True


def drop_database() -> None:
    from psycopg import sql

    with _admin_connection() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(DB_NAME)))  # fmt: skip


def setup(*, fresh: bool = False) -> None:
    """Point Django at the benchmark database, set it up and migrate it."""
    created = create_database(fresh=fresh)
    os.environ["DATABASE_URL"] = PG_URL.rstrip("/") + "/" + DB_NAME
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesflow.settings")
    os.environ["DEBUG"] = "0"  # no query log, production-like templates
    os.environ.setdefault("AXES_ENABLED", "0")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    print(f"数据库 {DB_NAME}：{'新建' if created else '已存在'}，执行迁移…", flush=True)
    call_command("migrate", verbosity=0, skip_checks=True)


def parse_args(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the bench data")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per measurement")
    parser.add_argument("--json", help="also write the results to this file (run_all.py)")
    if extra:
        extra(parser)
    return parser.parse_args()


# --- timing ---------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    samples_ms: list[float]
    target_median: float | None = None
    target_p95: float | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def max(self) -> float:
        return max(self.samples_ms)

    @property
    def ok(self) -> bool | None:
        checks = []
        if self.target_median is not None:
            checks.append(self.median < self.target_median)
        if self.target_p95 is not None:
            checks.append(self.p95 < self.target_p95)
        return all(checks) if checks else None


@dataclass
class Report:
    title: str
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, result: Result) -> Result:
        self.results.append(result)
        print(f"  {format_row(result)}", flush=True)
        return result

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  注：{text}", flush=True)


def measure(
    name: str,
    func: Callable[[int], object],
    *,
    runs: int,
    warmup: int = 5,
    target_median: float | None = None,
    target_p95: float | None = None,
) -> Result:
    """Call ``func(i)`` ``warmup`` times untimed, then ``runs`` times timed (i = run index, so
    each run can use another input)."""
    for i in range(warmup):
        func(i)
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        func(i)
        samples.append((time.perf_counter() - start) * 1000)
    return Result(name, samples, target_median, target_p95)


def save_json(path: str, reports: list[Report]) -> None:
    payload = [
        {
            "title": report.title,
            "notes": report.notes,
            "results": [
                {
                    "name": r.name,
                    "samples_ms": [round(x, 3) for x in r.samples_ms],
                    "target_median": r.target_median,
                    "target_p95": r.target_p95,
                }
                for r in report.results
            ],
        }
        for report in reports
    ]
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)


def load_json(path: str) -> list[Report]:
    with open(path, encoding="utf-8") as fh:
        payload = json.load(fh)
    return [
        Report(
            item["title"],
            [
                Result(r["name"], r["samples_ms"], r["target_median"], r["target_p95"])
                for r in item["results"]
            ],
            item["notes"],
        )
        for item in payload
    ]


def format_row(result: Result) -> str:
    verdict = {True: "达标", False: "未达标", None: "-"}[result.ok]
    targets = []
    if result.target_median is not None:
        targets.append(f"中位<{result.target_median:g}")
    if result.target_p95 is not None:
        targets.append(f"p95<{result.target_p95:g}")
    return (
        f"{pad(result.name, 52)} n={len(result.samples_ms):<4} 中位 {result.median:7.2f}  "
        f"p95 {result.p95:7.2f}  最大 {result.max:7.2f} ms  {' '.join(targets):<18} {verdict}"
    )


def pad(text: str, width: int) -> str:
    """Left-justify counting CJK characters as two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def print_table(reports: list[Report], *, machine: bool = True) -> None:
    width = 120
    print("\n" + "=" * width)
    if machine:
        print(machine_line())
    for report in reports:
        print("-" * width)
        print(report.title)
        for result in report.results:
            print("  " + format_row(result))
        for note in report.notes:
            print(f"  注：{note}")
    print("=" * width)


def machine_line() -> str:
    def run(*cmd) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "?"

    memory = run("free", "-h").splitlines()
    total = memory[1].split()[1] if len(memory) > 1 else "?"
    load = os.getloadavg()
    return (
        f"机器：{run('nproc')} 核，内存 {total}，{platform.python_implementation()} "
        f"{platform.python_version()}，{postgres_version()}，"
        f"负载 {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}"
    )


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def explain(queryset) -> str:
    """``EXPLAIN ANALYZE`` of a queryset (PostgreSQL), for a missed target."""
    return queryset.explain(analyze=True, buffers=True)


def explain_count(queryset) -> str:
    """``EXPLAIN ANALYZE`` of the COUNT a paginator runs on ``queryset``."""
    from django.db import connection

    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) SELECT COUNT(*) FROM ({sql}) AS sub", params)
        return "\n".join(row[0] for row in cursor.fetchall())
