"""Analytics at scale (issue 8): manager dashboard and funnel over HTTP, pipeline totals by
stage and by owner, each next to a hand-written SQL query for the same numbers (PostgreSQL).

    .venv/bin/python bench/analytics_bench.py [--fresh] [--runs 50] [--scale 1.0]

Builds (or reuses) ``salesflow_bench_analytics`` (``BENCH_DB_NAME`` overrides it): the org of
``dedup_and_lists.py`` (30 reps under 3 managers, a director), 3,000 customers, then with
set-based SQL (``INSERT … SELECT generate_series``) 500,000 opportunities × ``--scale`` over the
default template's non-lead stages (60 % open, 20 % won, 20 % lost, created over the past year),
one stage event per opportunity, and 5,000,000 follow-ups × ``--scale``. Measures, signed in
as the first manager:

- ``/analytics/`` (the manager dashboard) and ``/analytics/funnel/`` over HTTP (gunicorn -w 2)
  — target p95 ≤ 300 ms;
- the ``pipeline_totals`` analysis by stage and by owner, in process, as the director —
  target p95 ≤ 100 ms (reading the open-pipeline summary the worker rebuilds every 5 minutes;
  the script rebuilds it once first and reports how long that took);
and, for each, the hand-written SQL for the same numbers (target: the app within 2×).
"""

from __future__ import annotations

import os
import random
import tempfile
import time

import common
from common import Report, measure, parse_args, print_table, save_json, setup

SEED = 20261123
CUSTOMERS = 3_000


def build(args) -> dict:
    from dedup_and_lists import Keys, build_customers, ensure_org
    from django.db import connection

    from salesflow.core.context import work_context
    from salesflow.customers.models import Customer
    from salesflow.pipeline.models import Opportunity, ProcessTemplate

    org = ensure_org()
    version = ProcessTemplate.objects.get(name="标准B2B销售流程").current_version()
    stages = list(version.stages.filter(covered_by_lead=False).order_by("order"))
    n_opps = int(500_000 * args.scale)
    n_followups = int(5_000_000 * args.scale)
    org.update(version=version, stages=stages, n_opps=n_opps, n_followups=n_followups)
    have = Opportunity.all_objects.count()
    if have >= n_opps:
        print(f"  复用已有数据：商机 {have:,}", flush=True)
        return org
    if have:
        raise SystemExit("数据不完整，请加 --fresh 重建")
    started = time.perf_counter()
    rng = random.Random(SEED)
    with work_context():
        if Customer.all_objects.count() < CUSTOMERS:
            build_customers(CUSTOMERS - Customer.all_objects.count(), org, rng, Keys(rng))
    customers = list(Customer.all_objects.values_list("id", flat=True))
    owners = [u.pk for u in org["reps"]]
    stage_ids = [s.pk for s in stages]
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO pipeline_opportunity (name, customer_id, amount, probability,
                template_version_id, stage_id, status, stage_entered_at, owner_id, competitors,
                won_by_competitor, description, followups_since_stage, created_at, updated_at,
                closed_at, expected_close_date)
            SELECT '基准商机 ' || g, (%(c)s::bigint[])[1 + g %% %(nc)s],
                (10000 + (g * 7919) %% 990000)::numeric(14, 2), 10 + (g %% 9) * 10, %(v)s,
                (%(s)s::bigint[])[1 + g %% %(ns)s],
                CASE WHEN g %% 5 = 0 THEN 'won' WHEN g %% 5 = 1 THEN 'lost' ELSE 'open' END,
                now() - (g %% 200) * interval '1 hour', (%(o)s::bigint[])[1 + g %% %(no)s],
                '', '', '', 0, now() - (g %% 365) * interval '1 day', now(),
                CASE WHEN g %% 5 IN (0, 1) THEN now() - (g %% 300) * interval '1 day' END,
                current_date + (g %% 180)::int
            FROM generate_series(1::bigint, %(n)s::bigint) AS g
            """,
            {"c": customers, "nc": len(customers), "v": version.pk, "s": stage_ids,
             "ns": len(stage_ids), "o": owners, "no": len(owners), "n": n_opps},
        )  # fmt: skip
        cur.execute(
            """
            INSERT INTO pipeline_stageevent (opportunity_id, kind, from_stage_id, to_stage_id,
                from_status, to_status, skipped, at, amount, note, hours_in_previous,
                working_days_in_previous)
            SELECT id, 'advance', %(first)s, stage_id, 'open', status, false,
                created_at + interval '3 days', amount, '', 72, 3
            FROM pipeline_opportunity
            """,
            {"first": stage_ids[0]},
        )
        cur.execute(
            """
            INSERT INTO activities_followup (owner_id, customer_id, opportunity_id,
                communicated_at, entered_at, method, topic, summary, customer_words,
                objection_handling, needs_change, commitments, next_step_action, risk, result,
                entry_sla_met, is_complete)
            SELECT (%(o)s::bigint[])[1 + g %% %(no)s], (%(c)s::bigint[])[1 + g %% %(nc)s],
                NULL, now() - (g %% 365) * interval '1 day', now() - (g %% 365) * interval '1 day',
                'phone', '需求确认', '沟通内容', '', '', '', '', '', '', 'done', true, g %% 10 <> 0
            FROM generate_series(1::bigint, %(n)s::bigint) AS g
            """,
            {"o": owners, "no": len(owners), "c": customers, "nc": len(customers),
             "n": n_followups},
        )  # fmt: skip
        cur.execute("ANALYZE")
    print(f"  造数用时 {time.perf_counter() - started:.0f} s", flush=True)
    return org


SQL_TOTALS_STAGE = """
    SELECT s."order", s.name, count(*), sum(o.amount), sum(o.amount * o.probability / 100)
    FROM pipeline_opportunity o JOIN pipeline_stage s ON s.id = o.stage_id
    WHERE o.deleted_at IS NULL AND o.status = 'open' GROUP BY 1, 2 ORDER BY 1, 2
"""
SQL_TOTALS_OWNER = """
    SELECT u.id, u.display_name, count(*), sum(o.amount), sum(o.amount * o.probability / 100)
    FROM pipeline_opportunity o JOIN org_user u ON u.id = o.owner_id
    WHERE o.deleted_at IS NULL AND o.status = 'open' GROUP BY 1, 2 ORDER BY 2, 1
"""
SQL_FUNNEL = """
    SELECT count(*), count(*) FILTER (WHERE status = 'won')
    FROM pipeline_opportunity WHERE deleted_at IS NULL AND owner_id = ANY(%(o)s)
      AND created_at >= date_trunc('year', now()) AND created_at < now() + interval '1 day'
"""
SQL_PEOPLE = """
    SELECT owner_id, count(*) FILTER (WHERE status = 'open'),
           sum(amount * probability / 100) FILTER (WHERE status = 'open'),
           count(*) FILTER (WHERE created_at >= date_trunc('month', now()))
    FROM pipeline_opportunity WHERE deleted_at IS NULL AND owner_id = ANY(%(o)s) GROUP BY 1;
"""
SQL_PEOPLE_FOLLOWUPS = """
    SELECT owner_id, count(*), count(*) FILTER (WHERE is_complete)
    FROM activities_followup WHERE owner_id = ANY(%(o)s)
      AND communicated_at >= date_trunc('month', now()) GROUP BY 1
"""


def sql_timer(sql_list, params):
    from django.db import connection

    def run(_i):
        with connection.cursor() as cur:
            for sql in sql_list:
                cur.execute(sql, params)
                cur.fetchall()

    return run


def bench(org, runs: int) -> Report:
    from django.db import connection
    from pipeline_board import Http, free_port, session_cookie, start_app, stop_app

    from salesflow.analytics import registry
    from salesflow.analytics.registry import Params
    from salesflow.analytics.summaries import pipeline_summary_refresh
    from salesflow.core.scope import owner_ids_for

    report = Report("分析（PostgreSQL）")
    started = time.perf_counter()
    rows = pipeline_summary_refresh()
    report.note(
        f"进行中管道汇总表重建 {rows} 行，用时 {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    manager, director = next(iter(org["managers"].values())), org["director"]
    team = sorted(owner_ids_for(manager, "opportunity", "view"))
    report.note(f"经理 {manager.username} 可见 {len(team)} 人")
    totals = registry.get("pipeline_totals").compute
    for label, group_by, sql in (
        ("管道汇总·按阶段", "stage", SQL_TOTALS_STAGE),
        ("管道汇总·按负责人", "owner", SQL_TOTALS_OWNER),
    ):
        report.add(measure(f"{label}（应用）", lambda _i, g=group_by: totals(director, Params(group_by=g)),
                           runs=runs, target_p95=100))  # fmt: skip
        report.add(measure(f"{label}（手写 SQL）", sql_timer([sql], {}), runs=runs))
    report.add(measure("经理看板（手写 SQL）",
                       sql_timer([SQL_FUNNEL, SQL_PEOPLE, SQL_PEOPLE_FOLLOWUPS], {"o": team}),
                       runs=runs))  # fmt: skip
    report.add(measure("漏斗（手写 SQL）", sql_timer([SQL_FUNNEL], {"o": team}), runs=runs))
    cookie = session_cookie(manager)
    connection.close()
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", delete=False)  # noqa: SIM115
    proc = start_app(port, log)
    try:
        http = Http(f"http://127.0.0.1:{port}", cookie)
        http.wait("/analytics/", proc)
        report.add(measure("经理看板 /analytics/（HTTP）", lambda _i: http.get("/analytics/"),
                           runs=runs, target_p95=300))  # fmt: skip
        report.add(measure("漏斗 /analytics/funnel/（HTTP）", lambda _i: http.get("/analytics/funnel/"),
                           runs=runs, target_p95=300))  # fmt: skip
    finally:
        stop_app(proc)
        log.close()
    return report


def main() -> None:
    def extra(parser):
        parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 500k/5M")

    common.DB_NAME = os.environ.get("BENCH_DB_NAME", "salesflow_bench_analytics")
    args = parse_args(__doc__.splitlines()[0], extra)
    setup(fresh=args.fresh)
    print("准备数据…", flush=True)
    org = build(args)
    report = bench(org, args.runs)
    report.notes.insert(0, f"数据量：商机 {org['n_opps']:,}，跟进 {org['n_followups']:,}")
    print_table([report])
    if args.json:
        save_json(args.json, [report])


if __name__ == "__main__":
    main()
