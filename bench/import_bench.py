"""Spreadsheet import throughput (PostgreSQL): the Maven CRM pipeline and a generated customer
file, through the same engine and services as the import pages.

    .venv/bin/python bench/import_bench.py [--customers 20000] [--format csv|xlsx]

Always starts from an empty database ``salesflow_bench_import`` (``BENCH_DB_NAME`` overrides
it), loads the Maven sales teams, accounts and products with the shipped profiles, then times

(a) the Maven ``sales_pipeline.csv`` (8,800 rows: create, historical advance, won/lost at
    their dates — several services and stage events per row);
(b) a generated customer file (default 20,000 rows, Chinese company names, 4 % of them
    duplicates of earlier rows, a few bad cells) in partial mode with "skip duplicates".

Prints rows/s for each. Every row goes through the owning service (rights, PII check,
duplicate keys, grading, audit), one savepoint per row, commits per 250 rows.
"""

from __future__ import annotations

import csv
import io
import os
import random
import time

os.environ.setdefault("BENCH_DB_NAME", "salesflow_bench_import")

from common import ROOT, Report, Result, parse_args, print_table, save_json, setup

DATA = ROOT.parent / "shared" / "datasets" / "maven-crm"
PROFILES = ROOT / "examples" / "import-profiles"
SEED = 20261123
CITIES = ["苏州", "上海", "杭州", "宁波", "无锡", "南京", "常州", "嘉兴", "深圳", "广州", "东莞",
          "佛山", "厦门", "北京", "天津", "青岛", "济南", "武汉", "成都", "重庆", "长沙", "合肥"]  # fmt: skip
BRAND = "恒达华瑞鼎盛宏远金泰新锐博永信天成丰联创精诚东升嘉禾立凯万通润泽德汇源长虹明阳科同安捷卓越"
BUSINESSES = ["精密机械", "汽车零部件", "电子科技", "模具", "新材料", "自动化设备", "五金制品",
              "塑胶制品", "包装材料", "电气设备", "纺织", "食品机械", "阀门", "轴承"]  # fmt: skip
INDUSTRIES = ["制造业", "零售业", "服务业", "信息技术", "物流运输"]


def customer_file(rows: int, fmt: str) -> bytes:
    rng = random.Random(SEED)
    header = ["客户名称", "行业", "员工人数", "总机", "地址", "备注"]
    body, names = [], []
    for i in range(rows):
        if names and rng.random() < 0.04:
            name = rng.choice(names)  # a duplicate of an earlier row
        else:
            name = (
                f"{rng.choice(CITIES)}{''.join(rng.sample(BRAND, 2))}"
                f"{rng.choice(BUSINESSES)}{i:05d}有限公司"
            )
            names.append(name)
        employees = str(rng.randint(10, 3000)) if rng.random() > 0.005 else "约一百人"
        body.append([name, rng.choice(INDUSTRIES), employees, f"0512-{6000000 + i}",
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
        parser.add_argument("--customers", type=int, default=20_000)
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")

    args = parse_args(__doc__.splitlines()[0], extra)
    setup(fresh=True)
    import json

    from salesflow.org.models import User

    actor = User.objects.create_superuser(
        "bench.loader", "loader@bench.example", None, display_name="数据迁移"
    )
    report = Report("数据导入 / imports")

    def profile(name):
        return json.loads((PROFILES / name).read_text(encoding="utf-8"))

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

    print(f"生成的客户文件（{args.customers:,} 行，{args.format}）…", flush=True)
    data = customer_file(args.customers, args.format)
    run, seconds = timed_import(actor, data, CUSTOMER_PROFILE, f"customers.{args.format}")
    rate = run.total_rows / seconds
    report.add(Result(f"客户 {args.customers:,} 行 {args.format}（整个文件）", [seconds * 1000]))
    report.note(
        f"客户：{run.total_rows} 行，{seconds:.1f} s，{rate:.0f} 行/秒；新增 {run.created_count}，"
        f"跳过 {run.skipped_count}（重复），失败 {run.failed_count}"
    )
    print_table([report])
    if args.json:
        save_json(args.json, [report])


if __name__ == "__main__":
    main()
