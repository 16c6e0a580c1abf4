"""Spreadsheet import throughput (PostgreSQL): a generated 50,000-row customer file as .xlsx
and as .csv, and optionally the Maven CRM pipeline, through the same engine as the import
pages.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_bench_import \
        .venv/bin/python bench/import_bench.py [--customers 50000] [--format both|csv|xlsx]
        [--maven] [--profile]

Always starts from an empty database: the one named by ``DATABASE_URL`` when it is a
PostgreSQL address, else ``salesflow_bench_import`` (``BENCH_DB_NAME`` overrides it). Times

(a) generated customer files (default 50,000 rows each, Chinese company names, 4 % of them
    duplicates of earlier rows, 0.5 % with a non-numeric head count) in partial mode with
    "skip duplicates": first the .xlsx, then a .csv with other names. Files of more than
    ``import.bulk_min_rows`` customer rows take the bulk path (``salesflow/imports/bulk.py``:
    the same checks per row, one duplicate query, ``bulk_create`` and one audit entry per
    chunk of 1,000 rows). The time includes reading the file; reading alone is printed too;
(b) with ``--maven``: the Maven ``sales_pipeline.csv`` (8,800 rows: create, historical
    advance, won/lost at their dates — several services and stage events per row, the
    row-by-row service path).

Prints seconds and rows/s for each; ``--profile`` prints the top of a cProfile of the .xlsx run.
"""

from __future__ import annotations

import csv
import io
import os
import random
import time
from urllib.parse import urlparse

_url = os.environ.get("DATABASE_URL", "")
if _url.startswith(("postgres://", "postgresql://")) and urlparse(_url).path.strip("/"):
    _parsed = urlparse(_url)
    os.environ.setdefault("BENCH_DB_NAME", _parsed.path.strip("/"))
    os.environ.setdefault("BENCH_PG_URL", _url[: -len(_parsed.path)] + "/")
os.environ.setdefault("BENCH_DB_NAME", "salesflow_bench_import")

from common import ROOT, Report, Result, parse_args, print_table, save_json, setup  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "maven-crm"
PROFILES = ROOT / "examples" / "import-profiles"
SEED = 20261123
CITIES = ["苏州", "上海", "杭州", "宁波", "无锡", "南京", "常州", "嘉兴", "深圳", "广州", "东莞",
          "佛山", "厦门", "北京", "天津", "青岛", "济南", "武汉", "成都", "重庆", "长沙", "合肥"]  # fmt: skip
BRAND = "恒达华瑞鼎盛宏远金泰新锐博永信天成丰联创精诚东升嘉禾立凯万通润泽德汇源长虹明阳科同安捷卓越"
BUSINESSES = ["精密机械", "汽车零部件", "电子科技", "模具", "新材料", "自动化设备", "五金制品",
              "塑胶制品", "包装材料", "电气设备", "纺织", "食品机械", "阀门", "轴承"]  # fmt: skip
INDUSTRIES = ["制造业", "零售业", "服务业", "信息技术", "物流运输"]


def customer_file(rows: int, fmt: str, offset: int = 0) -> bytes:
    rng = random.Random(SEED + offset)
    header = ["客户名称", "行业", "员工人数", "总机", "地址", "备注"]
    body, names = [], []
    for i in range(rows):
        if names and rng.random() < 0.04:
            name = rng.choice(names)  # a duplicate of an earlier row
        else:
            name = (
                f"{rng.choice(CITIES)}{''.join(rng.sample(BRAND, 2))}"
                f"{rng.choice(BUSINESSES)}{i + offset:06d}有限公司"
            )
            names.append(name)
        employees = str(rng.randint(10, 3000)) if rng.random() > 0.005 else "约一百人"
        body.append([name, rng.choice(INDUSTRIES), employees, f"0512-{6000000 + i + offset}",
                     f"{rng.choice(CITIES)}市工业园区{rng.randint(1, 300)}号", ""])  # fmt: skip
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("客户")
        sheet.append(header)
        for row in body:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(body)
    return buffer.getvalue().encode("utf-8")


CUSTOMER_PROFILE = {
    "entity": "customer",
    "columns": {
        "name": "客户名称",
        "industry": "行业",
        "employees": "员工人数",
        "phone": "总机",
        "address": "地址",
        "notes": "备注",
    },
    "duplicates": "skip",
}


def timed_import(actor, data: bytes, profile: dict, file_name: str):
    from salesflow.imports.mapping import Profile
    from salesflow.imports.services import run_start, run_upload

    profile_obj = Profile.from_json(profile)
    run = run_upload(actor=actor, entity_key=profile_obj.entity, file_name=file_name, data=data)
    run.config = profile_obj.to_json()
    run.save(update_fields=["config"])
    started = time.perf_counter()
    run = run_start(actor=actor, run=run, mode="partial", dry_run=False, background=False)
    return run, time.perf_counter() - started


def main() -> None:
    def extra(parser):
        parser.add_argument("--customers", type=int, default=50_000)
        parser.add_argument("--format", choices=["both", "csv", "xlsx"], default="both")
        parser.add_argument("--maven", action="store_true", help="also time the Maven pipeline")
        parser.add_argument("--profile", action="store_true", help="cProfile the .xlsx run")

    args = parse_args(__doc__.splitlines()[0], extra)
    setup(fresh=True)
    import json

    from salesflow.core.settings_registry import get_setting
    from salesflow.imports.engine import load_sheet
    from salesflow.imports.mapping import Profile
    from salesflow.org.models import User

    actor = User.objects.create_superuser(
        "bench.loader", "loader@bench.example", None, display_name="数据迁移"
    )
    report = Report("数据导入 / imports")

    def profile(name):
        return json.loads((PROFILES / name).read_text(encoding="utf-8"))

    formats = ["xlsx", "csv"] if args.format == "both" else [args.format]
    print(f"批量写入阈值 import.bulk_min_rows = {get_setting('import.bulk_min_rows')}", flush=True)
    for number, fmt in enumerate(formats):
        offset = number * 100_000  # other names (and phones) for the second file
        print(f"生成的客户文件（{args.customers:,} 行，{fmt}）…", flush=True)
        data = customer_file(args.customers, fmt, offset)
        started = time.perf_counter()
        rows = len(load_sheet(data, Profile.from_json(CUSTOMER_PROFILE)).rows)
        reading = time.perf_counter() - started
        if args.profile and fmt == "xlsx":
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        run, seconds = timed_import(actor, data, CUSTOMER_PROFILE, f"customers.{fmt}")
        if args.profile and fmt == "xlsx":
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(30)
            stats.sort_stats("tottime").print_stats(25)
        rate = run.total_rows / seconds
        report.add(Result(f"客户 {args.customers:,} 行 {fmt}（整个文件）", [seconds * 1000]))
        line = (
            f"客户 {fmt}：{run.total_rows} 行，{seconds:.1f} s（其中读取文件约 {reading:.1f} s），"
            f"{rate:.0f} 行/秒；新增 {run.created_count}，跳过 {run.skipped_count}（重复），"
            f"失败 {run.failed_count}"
        )
        assert rows == run.total_rows
        report.note(line)
        print(f"  {line}", flush=True)

    if args.maven:
        print("Maven CRM：团队、客户、产品…", flush=True)
        for pname, fname in (("maven-sales-teams.json", "sales_teams.csv"),
                             ("maven-accounts.json", "accounts.csv"),
                             ("maven-products.json", "products.csv")):  # fmt: skip
            run, _seconds = timed_import(actor, (DATA / fname).read_bytes(), profile(pname), fname)
            print(f"  {fname}: created={run.created_count} failed={run.failed_count}", flush=True)
        print("Maven CRM：商机（8,800 行）…", flush=True)
        data = (DATA / "sales_pipeline.csv").read_bytes()
        run, seconds = timed_import(actor, data, profile("maven-sales-pipeline.json"), "pipeline")
        rate = run.total_rows / seconds
        report.add(Result("Maven sales_pipeline 8,800 行（整个文件）", [seconds * 1000]))
        report.note(
            f"商机：{run.total_rows} 行，{seconds:.1f} s，{rate:.0f} 行/秒；"
            f"新增 {run.created_count}，失败 {run.failed_count}（无客户的进行中商机）"
        )
    print_table([report])
    if args.json:
        save_json(args.json, [report])


if __name__ == "__main__":
    main()
