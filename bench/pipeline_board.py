"""Pipeline board, list and detail as HTTP requests to a running app (issue 5, PostgreSQL).

    .venv/bin/python bench/pipeline_board.py [--fresh] [--runs 200] [--opportunities N]
                                             [--followups N]

Builds (or reuses) ``salesflow_bench_pipeline`` (``BENCH_DB_NAME`` overrides it): the org of
``dedup_and_lists.py`` (30 reps, 3 managers, a director), 3,000 customers, 150,000
opportunities on the default B2B template's current version spread over its non-lead stages
— 50,000 open ones owned by one rep, the rest (open, won, lost) by the 29 other reps — and
1,000,000 follow-ups, one opportunity having exactly 40. Then starts
``gunicorn salesflow.wsgi -w 2`` on a free port against that database (DEBUG off), signs the
big owner in through a session made here, and times whole HTTP requests with ``urllib``:

- the board shell ``/pipeline/board/?version=<id>`` and the board's first page as a browser
  loads it (the shell, then every column's first 50 cards, ``hx-trigger="load"``, fetched
  concurrently) — target p95 < 150 ms;
- one lazily loaded column page ``/pipeline/board/column/?version=<id>&stage=<id>``
  (``HX-Request``) — target p95 < 50 ms;
- the list's first page ``/pipeline/`` — target p95 < 60 ms;
- the detail page of the opportunity with 40 follow-ups ``/pipeline/<pk>/`` — p95 < 80 ms.
"""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import common
from common import Report, explain, measure, parse_args, print_table, save_json, setup

SEED = 20261124
BATCH = 10_000
CUSTOMERS = 3_000
OWNER_OPEN = 50_000
DETAIL_FOLLOWUPS = 40
DETAIL_NAME = "基准商机（40 条跟进）"
PRODUCTS = ["数控机床", "工业机器人", "MES 系统", "备件服务", "自动化产线", "检测设备", "年度维保"]
TOPICS = ["需求确认", "方案沟通", "报价跟进", "技术交流", "商务谈判", "回访"]
METHODS = ["phone", "visit", "email", "wechat"]


# --- data ---------------------------------------------------------------------------------------


def board_version():
    from salesflow.pipeline.default_template import B2B
    from salesflow.pipeline.models import ProcessTemplate

    return ProcessTemplate.objects.get(name=B2B["name"]).current_version()


def amount(rng: random.Random) -> Decimal:
    return Decimal(rng.choice([rng.randrange(5, 100) * 1000,
                               rng.randrange(10, 100) * 10000 + rng.randrange(100) * 100,
                               rng.randrange(100, 800) * 10000]))  # fmt: skip


def build_opportunities(count: int, org: dict, version, rng: random.Random) -> None:
    from django.utils import timezone

    from salesflow.customers.models import Customer
    from salesflow.pipeline.models import LostReason, Opportunity

    stages = list(version.stages.filter(covered_by_lead=False).order_by("order"))
    weights = [40, 25, 18, 12, 5, 3, 2][: len(stages)]
    weights += [2] * (len(stages) - len(weights))
    customers = list(Customer.objects.values_list("pk", flat=True)[:CUSTOMERS])
    lost_reasons = list(LostReason.objects.values_list("pk", flat=True)) or [None]
    owner, others = org["reps"][0], org["reps"][1:]
    now = timezone.now()
    done = 0
    while done < count:
        batch = []
        for _ in range(min(BATCH, count - done)):
            index = done + len(batch)
            mine = index < OWNER_OPEN
            rep = owner if mine else rng.choice(others)
            status = "open" if mine else rng.choice(["open"] * 6 + ["won"] * 2 + ["lost"] * 2)
            stage = rng.choices(stages, weights)[0] if status == "open" else stages[-1]
            created = now - timedelta(days=rng.uniform(1, 700))
            entered = created + (now - created) * rng.random()
            closed = entered + timedelta(days=rng.uniform(0, 5)) if status != "open" else None
            batch.append(
                Opportunity(
                    name=f"{rng.choice(PRODUCTS)}项目-{index + 1}",
                    customer_id=rng.choice(customers),
                    amount=amount(rng),
                    expected_close_date=(now + timedelta(days=rng.uniform(-30, 180))).date(),
                    probability=stage.probability,
                    template_version_id=version.pk,
                    stage_id=stage.pk,
                    status=status,
                    stage_entered_at=entered,
                    stage_due_at=entered + timedelta(days=rng.choice([1, 3, 7, 14])),
                    owner_id=rep.pk,
                    team_id=rep.department_id,
                    lost_reason_id=rng.choice(lost_reasons) if status == "lost" else None,
                    closed_at=closed,
                    last_followup_at=now - timedelta(days=rng.uniform(0, 60)),
                    created_by_id=rep.pk,
                    created_at=created,
                )
            )
        Opportunity.objects.bulk_create(batch, batch_size=BATCH)
        done += len(batch)
        print(f"    商机 {done:,}/{count:,}", flush=True)


def build_followups(count: int, detail, rng: random.Random) -> None:
    from django.utils import timezone

    from salesflow.activities.models import FollowUp
    from salesflow.pipeline.models import Opportunity

    opportunities = list(
        Opportunity.objects.exclude(pk=detail.pk).values_list("pk", "customer_id", "owner_id")
    )
    now = timezone.now()

    def followup(opp_id, customer_id, owner_id):
        at = now - timedelta(days=rng.uniform(0, 400))
        return FollowUp(
            customer_id=customer_id,
            opportunity_id=opp_id,
            owner_id=owner_id,
            communicated_at=at,
            entered_at=at + timedelta(hours=rng.uniform(0.1, 20)),
            method=rng.choice(METHODS),
            topic=rng.choice(TOPICS),
            summary="客户确认了二期产线的预算范围，希望下周看到分阶段报价。",
            next_step_action="发送分阶段报价",
            is_complete=True,
            created_by_id=owner_id,
        )

    first = [
        followup(detail.pk, detail.customer_id, detail.owner_id) for _ in range(DETAIL_FOLLOWUPS)
    ]
    FollowUp.objects.bulk_create(first)
    done = DETAIL_FOLLOWUPS
    while done < count:
        batch = [followup(*rng.choice(opportunities)) for _ in range(min(BATCH, count - done))]
        FollowUp.objects.bulk_create(batch, batch_size=BATCH)
        done += len(batch)
        if done % 100_000 < BATCH:
            print(f"    跟进 {done:,}/{count:,}", flush=True)


def ensure_data(args) -> dict:
    from dedup_and_lists import Keys, build_customers, ensure_org
    from django.db import connection

    from salesflow.activities.models import FollowUp
    from salesflow.core.context import work_context
    from salesflow.customers.models import Customer
    from salesflow.pipeline.models import Opportunity

    org = ensure_org()
    for rep in org["reps"]:
        rep.department  # noqa: B018 — loaded once, used for every row
    version = board_version()
    rng = random.Random(SEED)
    have_opps, have_followups = Opportunity.all_objects.count(), FollowUp.objects.count()
    if have_opps >= args.opportunities and have_followups >= args.followups:
        print(f"  复用已有数据：商机 {have_opps:,}，跟进 {have_followups:,}", flush=True)
    else:
        if have_opps or have_followups:
            raise SystemExit("数据不完整（上次造数中断？），请加 --fresh 重建")
        started = time.perf_counter()
        with work_context():
            have_customers = Customer.all_objects.count()
            if have_customers < CUSTOMERS:
                build_customers(CUSTOMERS - have_customers, org, rng, Keys(rng))
            build_opportunities(args.opportunities, org, version, rng)
            detail = (
                Opportunity.objects.filter(owner=org["reps"][0], status="open")
                .order_by("-amount", "id")
                .first()
            )
            detail.name = DETAIL_NAME
            detail.save(update_fields=["name"])
            build_followups(args.followups, detail, rng)
        with connection.cursor() as cursor:
            # VACUUM as autovacuum would after a bulk load: it sets the visibility map
            # that index-only scans (page counts, board totals) need to skip the heap.
            cursor.execute("VACUUM ANALYZE")
        print(f"  造数用时 {time.perf_counter() - started:.0f} s", flush=True)
    org["version"] = version
    org["owner"] = org["reps"][0]
    org["detail"] = Opportunity.objects.get(name=DETAIL_NAME)
    return org


# --- the running app ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(port: int, log) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("DJANGO_ENV", None)
    env["DEBUG"] = "0"
    env["DATABASE_URL"] = os.environ["DATABASE_URL"]  # set by common.setup()
    gunicorn = str(common.ROOT / ".venv" / "bin" / "gunicorn")
    cmd = [gunicorn, "salesflow.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"]
    return subprocess.Popen(cmd, cwd=common.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop_app(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def session_cookie(user) -> str:
    """A signed-in session for ``user``, made here and used by the app in another process."""
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store["_last_seen"] = int(time.time())
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


class Http:
    def __init__(self, base: str, cookie: str):
        self.base, self.cookie = base, cookie

    def get(self, path: str, *, htmx: bool = False) -> bytes:
        request = urllib.request.Request(self.base + path, headers={"Cookie": self.cookie})
        if htmx:
            request.add_header("HX-Request", "true")
        with urllib.request.urlopen(request, timeout=30) as response:
            if response.status != 200 or response.url != self.base + path:
                raise RuntimeError(f"GET {path}: {response.status} {response.url}")
            return response.read()

    def wait(self, path: str, proc: subprocess.Popen, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.get(path)
                return
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.3)


# --- measurements -------------------------------------------------------------------------------


def bench_http(org: dict, runs: int) -> Report:
    from django.db import connection

    from salesflow.pipeline.models import Opportunity

    version, owner, detail = org["version"], org["owner"], org["detail"]
    stages = list(version.stages.filter(covered_by_lead=False).order_by("order"))
    open_mine = Opportunity.objects.filter(owner=owner, status="open").count()
    report = Report("HTTP 请求（gunicorn -w 2，DEBUG 关，大户本人登录）")
    report.note(f"大户 {owner.username} 的进行中商机 {open_mine:,} 个，{len(stages)} 列")
    cookie = session_cookie(owner)
    connection.close()  # the app has the database to itself while measuring
    port = free_port()
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 — kept open for gunicorn, closed below
        "w+", prefix="bench-gunicorn-", suffix=".log", delete=False
    )
    proc = start_app(port, log)
    try:
        http = Http(f"http://127.0.0.1:{port}", cookie)
        board = f"/pipeline/board/?version={version.pk}"
        http.wait(board, proc)
        columns = [f"/pipeline/board/column/?version={version.pk}&stage={s.pk}" for s in stages]
        html = http.get(board).decode()
        found = len(re.findall(r'hx-trigger="load"', html))
        report.note(f"看板页含 {found} 个延迟加载的列（hx-trigger=load）")
        cards = [http.get(url, htmx=True).decode().count("data-opp-id=") for url in columns]
        report.note(f"各列第一页卡片数：{cards}")
        pool = ThreadPoolExecutor(max_workers=6)  # a browser's connections per host

        def full_board(_i):
            http.get(board)
            list(pool.map(lambda url: http.get(url, htmx=True), columns))

        report.add(measure("看板外壳 /pipeline/board/", lambda _i: http.get(board), runs=runs))
        report.add(
            measure(
                f"看板首屏（外壳 + {len(columns)} 列各 50 张，并发加载）",
                full_board,
                runs=runs,
                target_p95=150,
            )
        )
        for stage, url in zip(stages[:2], columns[:2], strict=False):
            report.add(
                measure(
                    f"单列一页 {stage.name}（HX-Request）",
                    lambda _i, u=url: http.get(u, htmx=True),
                    runs=runs,
                    target_p95=50,
                )
            )
        report.add(
            measure("列表第一页 /pipeline/", lambda _i: http.get("/pipeline/"), runs=runs,
                    target_p95=60)
        )  # fmt: skip
        report.add(
            measure(
                f"详情页 /pipeline/{detail.pk}/（{DETAIL_FOLLOWUPS} 条跟进）",
                lambda _i: http.get(f"/pipeline/{detail.pk}/"),
                runs=runs,
                target_p95=80,
            )
        )
        pool.shutdown()
    finally:
        stop_app(proc)
        log.close()
        report.note(f"gunicorn 日志：{log.name}")
    return report


def explain_missed(report: Report, org: dict) -> None:
    """``EXPLAIN ANALYZE`` of the main query behind each missed HTTP target."""
    from django.db.models import Count

    from salesflow.core.scope import forget_rights
    from salesflow.pipeline import selectors

    version, owner = org["version"], org["owner"]
    stages = list(version.stages.filter(covered_by_lead=False).order_by("order"))
    forget_rights(owner)
    queries = {
        "看板": lambda: (
            selectors._filtered(owner, {})
            .filter(template_version=version, status="open")
            .order_by()
            .values("stage_id")
            .annotate(n=Count("id"))
        ),
        "列表": lambda: selectors.opportunity_list(user=owner)[:50],
    }
    for stage in stages:
        queries[f"单列一页 {stage.name}"] = lambda stage=stage: (
            selectors._filtered(owner, {})
            .filter(template_version=version, stage_id=stage.pk, status="open")
            .select_related("customer", "owner")
            .order_by("-amount", "id")[:51]
        )
    for result in report.results:
        if result.ok is not False:
            continue
        for key, make in queries.items():
            if key in result.name:
                print(f"\nEXPLAIN ANALYZE — {result.name}\n{explain(make())}")


def main() -> None:
    def extra(parser):
        parser.add_argument("--opportunities", type=int, default=150_000)
        parser.add_argument("--followups", type=int, default=1_000_000)

    common.DB_NAME = os.environ.get("BENCH_DB_NAME", "salesflow_bench_pipeline")
    args = parse_args(__doc__.splitlines()[0], extra)
    setup(fresh=args.fresh)
    print("准备数据…", flush=True)
    org = ensure_data(args)
    print("测量 HTTP…", flush=True)
    report = bench_http(org, args.runs)
    report.notes.insert(
        0,
        f"数据量：商机 {args.opportunities:,}（大户进行中 {OWNER_OPEN:,}），跟进 {args.followups:,}",
    )
    explain_missed(report, org)
    print_table([report])
    if args.json:
        save_json(args.json, [report])


if __name__ == "__main__":
    main()
