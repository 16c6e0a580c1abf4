"""Duplicate check and first list pages at 200,000 customers and 200,000 leads (PostgreSQL).

    .venv/bin/python bench/dedup_and_lists.py [--fresh] [--runs 200] [--customers N] [--leads N]

Builds (or reuses) ``salesflow_bench``: 3 regions × 2 teams, 30 reps, 3 managers, a director
and a marketing specialist; 200,000 customers with 1–2 contacts each and 200,000 leads, all
with their normalised duplicate keys. Then measures

(a) ``customers.selectors.find_duplicates`` (customers, contacts and leads) for hits and misses
    by name, phone and e-mail — target median < 15 ms, p95 < 30 ms;
(b) the first page (50 rows) of ``customer_list`` (grade A) and ``lead_list`` (status new) as
    a rep, a manager and the director — SQL through the selector, the selector + the
    paginator's COUNT, and the whole HTTP request through ``django.test.Client`` when the
    pages exist — target p95 < 60 ms.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from decimal import Decimal

from common import (
    Report,
    explain,
    explain_count,
    measure,
    parse_args,
    print_table,
    save_json,
    setup,
)

SEED = 20261123
BATCH = 5000
REGIONS = [("east", "华东"), ("south", "华南"), ("north", "华北")]
REPS_PER_TEAM = 5
CITIES = ["苏州", "上海", "杭州", "宁波", "无锡", "南京", "常州", "嘉兴", "深圳", "广州", "东莞",
          "佛山", "厦门", "北京", "天津", "青岛", "济南", "石家庄", "武汉", "成都", "重庆", "长沙",
          "合肥", "郑州", "西安", "昆明", "南通", "温州", "绍兴", "珠海"]  # fmt: skip
BRAND_CHARS = "恒达华瑞鼎盛宏远金泰新锐博永信天成丰联创精诚东升嘉禾立凯万通润泽德汇源长虹明阳科同安捷卓越海纳启睿智航兴业鹰晨光中拓巨川宝和昌铭久优能"
BUSINESSES = ["精密机械", "汽车零部件", "电子科技", "模具", "新材料", "自动化设备", "五金制品",
              "塑胶制品", "包装材料", "电气设备", "纺织", "食品机械", "阀门", "轴承", "液压机械",
              "线缆", "连锁超市", "商贸", "物业服务", "管理咨询", "软件技术", "信息技术",
              "医疗器械", "生物科技", "供应链管理", "物流", "化工", "新能源科技", "环保科技",
              "建筑工程", "建材", "家居用品", "光电科技", "照明电器", "服饰", "印刷"]  # fmt: skip
SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
MOBILE = ["130", "131", "133", "135", "136", "137", "138", "139", "150", "151", "155", "158",
          "159", "180", "181", "185", "186", "187", "188", "189"]  # fmt: skip
STATUSES = (["new"] * 25 + ["screened"] * 20 + ["contacting"] * 30 + ["nurture"] * 10
            + ["converted"] * 10 + ["invalid"] * 5)  # fmt: skip


# --- data ---------------------------------------------------------------------------------------


def ensure_org():
    from salesflow.org import services as org
    from salesflow.org.models import Department, Role, User

    roles = {r.code: r for r in Role.objects.all()}

    def department(name, parent=None, region=""):
        found = Department.objects.filter(name=name, parent=parent).first()
        return found or org.department_create(actor=None, name=name, parent=parent, region=region)

    def user(username, role, dept, manager=None):
        found = User.objects.filter(username=username).first()
        return found or org.user_create(
            actor=None,
            username=username,
            display_name=username,
            department=dept,
            manager=manager,
            roles=[roles[role]],
            email=f"{username}@bench.example",
        )

    company = department("基准测试公司")
    sales = department("销售中心", company)
    director = user("bench.director", "sales_director", sales)
    marketing = user("bench.marketing", "marketing", department("市场部", company))
    managers, reps = {}, []
    for key, region in REGIONS:
        region_dept = department(f"{region}区", sales, region)
        managers[key] = user(f"bench.manager.{key}", "sales_manager", region_dept, director)
        for team in (1, 2):
            team_dept = department(f"{region}{team}组", region_dept, region)
            for n in range(1, REPS_PER_TEAM + 1):
                reps.append(
                    user(f"bench.rep.{key}.{team}.{n}", "sales_rep", team_dept, managers[key])
                )
    return {"director": director, "managers": managers, "reps": reps, "marketing": marketing}


class Keys:
    """Unique names/phones/e-mails for the generated rows."""

    def __init__(self, rng: random.Random, used_names=(), used_phones=()):
        self.rng = rng
        self.names = set(used_names)
        self.phones = set(used_phones)
        self.emails = 0

    def company(self) -> str:
        from salesflow.core.normalize import normalize_company_name

        rng = self.rng
        while True:
            brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
            name = f"{rng.choice(CITIES)}{brand}{rng.choice(BUSINESSES)}{rng.choice(SUFFIXES)}"
            key = normalize_company_name(name)
            if key not in self.names:
                self.names.add(key)
                return name

    def mobile(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def email(self, domain: str) -> str:
        self.emails += 1
        return f"user{self.emails}.{self.rng.randrange(10**6)}@{domain}"


def build_customers(count: int, org: dict, rng: random.Random, keys: Keys) -> None:
    from django.utils import timezone

    from salesflow.core.normalize import normalize_email, normalize_phone
    from salesflow.customers.models import Contact, Customer, CustomerPool, Industry, Region
    from salesflow.customers.rules import grade_for_amount, tier_for_amount

    industries = list(Industry.objects.values_list("pk", flat=True))
    regions = dict(Region.objects.values_list("name", "pk"))
    pool = CustomerPool.objects.filter(department=None).first()
    reps = org["reps"]
    now = timezone.now()
    roles = ["decision_maker", "influencer", "user", "purchaser"]
    done = 0
    while done < count:
        batch = []
        for _ in range(min(BATCH, count - done)):
            rep = rng.choice(reps)
            amount = Decimal(rng.choice([rng.randrange(5, 100) * 1000,
                                         rng.randrange(10, 50) * 10000,
                                         rng.randrange(50, 300) * 10000]))  # fmt: skip
            in_pool = rng.random() < 0.05
            created = now - timedelta(days=rng.uniform(0, 1000))
            phone = f"0{rng.randint(10, 999)}-{rng.randrange(10**7, 10**8)}"
            batch.append(
                Customer(
                    name=(name := keys.company()),
                    name_key=_key(name),
                    industry_id=rng.choice(industries),
                    region_id=regions[rep.department.region],
                    employees=rng.choice([50, 120, 300, 800, 2000]),
                    phone=phone,
                    phone_key=normalize_phone(phone),
                    owner_id=None if in_pool else rep.pk,
                    team_id=rep.department_id,
                    grade=grade_for_amount(amount),
                    grade_source="expected",
                    expected_annual_value=amount,
                    tier=tier_for_amount(amount),
                    pool_id=pool.pk if in_pool else None,
                    pooled_at=now - timedelta(days=rng.uniform(0, 60)) if in_pool else None,
                    owned_since=None if in_pool else created,
                    last_followup_at=now - timedelta(days=rng.uniform(0, 60)),
                    created_at=created,
                    created_by_id=rep.pk,
                )
            )
        Customer.objects.bulk_create(batch, batch_size=BATCH)
        contacts = []
        for customer in batch:
            domain = f"c{customer.pk}.example.cn"
            for index in range(rng.choice([1, 1, 2])):
                phone = keys.mobile()
                email = keys.email(domain)
                contacts.append(
                    Contact(
                        customer_id=customer.pk,
                        name=f"联系人{customer.pk}-{index}",
                        decision_role=rng.choice(roles),
                        phone=phone,
                        phone_key=normalize_phone(phone),
                        email=email,
                        email_key=normalize_email(email),
                        is_primary=index == 0,
                        created_at=customer.created_at,
                    )
                )
        Contact.objects.bulk_create(contacts, batch_size=BATCH)
        done += len(batch)
        print(f"    客户 {done:,}/{count:,}", flush=True)


def build_leads(count: int, org: dict, rng: random.Random, keys: Keys) -> None:
    from django.utils import timezone

    from salesflow.core.normalize import normalize_email, normalize_phone
    from salesflow.customers.models import Industry, Region
    from salesflow.leads.models import Lead, LeadSource

    industries = list(Industry.objects.values_list("pk", flat=True))
    regions = dict(Region.objects.values_list("name", "pk"))
    sources = list(LeadSource.objects.filter(is_referral=False).values_list("pk", flat=True))
    reps, marketing = org["reps"], org["marketing"]
    now = timezone.now()
    done = 0
    while done < count:
        batch = []
        for _ in range(min(BATCH, count - done)):
            rep = rng.choice(reps)
            assigned = rng.random() < 0.9
            status = rng.choice(STATUSES) if assigned else "new"
            acquired = now - timedelta(days=rng.uniform(0, 400))
            entered = acquired + timedelta(hours=rng.uniform(0.2, 40))
            graded = entered + timedelta(hours=rng.uniform(1, 60)) if status != "new" else None
            grade = rng.choice("ABC") if graded else ""
            phone = keys.mobile()
            email = keys.email("lead.example.cn") if rng.random() < 0.7 else ""
            name = keys.company()
            batch.append(
                Lead(
                    company_name=name,
                    name_key=_key(name),
                    industry_id=rng.choice(industries),
                    region_id=regions[rep.department.region],
                    contact_name="李明",
                    phone=phone,
                    phone_key=normalize_phone(phone),
                    email=email,
                    email_key=normalize_email(email),
                    needs="现有设备故障率高，每月停机约20小时",
                    source_id=rng.choice(sources),
                    acquired_at=acquired,
                    entered_at=entered,
                    screening_due_at=entered + timedelta(hours=48),
                    status=status,
                    owner_id=rep.pk if assigned else None,
                    team_id=rep.department_id if assigned else None,
                    assigned_at=entered if assigned else None,
                    created_by_id=marketing.pk if rng.random() < 0.6 else rep.pk,
                    score={"A": 85, "B": 70, "C": 40}.get(grade),
                    grade=grade,
                    intent=rng.choice(["high", "medium", "low"]) if graded else "",
                    graded_at=graded,
                    first_contact_due_at=graded + timedelta(hours=24) if grade == "A" else None,
                )
            )
        Lead.objects.bulk_create(batch, batch_size=BATCH)
        done += len(batch)
        print(f"    线索 {done:,}/{count:,}", flush=True)


def _key(name: str) -> str:
    from salesflow.core.normalize import normalize_company_name

    return normalize_company_name(name)


def ensure_data(args) -> dict:
    from django.db import connection

    from salesflow.core.context import work_context
    from salesflow.customers.models import Contact, Customer
    from salesflow.leads.models import Lead

    org = ensure_org()
    for rep in org["reps"]:
        rep.department  # noqa: B018 — loaded once, used for every row
    rng = random.Random(SEED)
    have_customers, have_leads = Customer.all_objects.count(), Lead.all_objects.count()
    if have_customers >= args.customers and have_leads >= args.leads:
        print(f"  复用已有数据：客户 {have_customers:,}，线索 {have_leads:,}", flush=True)
        return org
    started = time.perf_counter()
    keys = Keys(
        rng,
        used_names=list(Customer.all_objects.values_list("name_key", flat=True))
        + list(Lead.all_objects.values_list("name_key", flat=True)),
        used_phones=list(Contact.all_objects.values_list("phone_key", flat=True))
        + list(Lead.all_objects.values_list("phone_key", flat=True)),
    )
    with work_context():  # settings (grade thresholds) read once, not once per row
        if have_customers < args.customers:
            build_customers(args.customers - have_customers, org, rng, keys)
        if have_leads < args.leads:
            build_leads(args.leads - have_leads, org, rng, keys)
    with connection.cursor() as cursor:
        # VACUUM as autovacuum would after a bulk load: it sets the visibility map
        # that index-only scans (page counts, board totals) need to skip the heap.
        cursor.execute("VACUUM ANALYZE")
    print(f"  造数用时 {time.perf_counter() - started:.0f} s", flush=True)
    return org


# --- measurements -------------------------------------------------------------------------------


def samples(runs: int, org: dict) -> dict[str, list]:
    """Inputs for the duplicate check: existing values written the way users type them, and
    values that exist nowhere."""
    from salesflow.customers.models import Contact, Customer

    rng = random.Random(SEED + 1)
    n = runs + 10
    customer_ids = list(Customer.objects.order_by("?").values_list("pk", flat=True)[:n])
    names = list(Customer.objects.filter(pk__in=customer_ids).values_list("name", flat=True))
    contacts = list(
        Contact.objects.filter(customer_id__in=customer_ids).values_list("phone", "email")
    )
    keys = Keys(random.Random(SEED + 2))
    fresh_names = [keys.company() + "（筹）" for _ in range(n)]
    return {
        "name_hit": [_as_typed(name) for name in names],
        "name_miss": fresh_names,
        "phone_hit": [f"+86 {p[:3]}-{p[3:7]}-{p[7:]}" for p, _e in contacts],
        "phone_miss": [f"199{rng.randrange(10**8):08d}" for _ in range(n)],
        "email_hit": [e.upper() for _p, e in contacts],
        "email_miss": [f"nobody{i}@nowhere.example" for i in range(n)],
    }


def _as_typed(name: str) -> str:
    """ "苏州恒达精密机械有限公司" → "苏州 恒达精密机械有限责任公司" (same key)."""
    typed = f"{name[:2]} {name[2:]}"
    if typed.endswith("有限公司") and not typed.endswith(("股份有限公司", "集团有限公司")):
        typed = typed.removesuffix("有限公司") + "有限责任公司"
    return typed


def bench_dedup(org: dict, runs: int) -> Report:
    from salesflow.core.scope import forget_rights, has_right
    from salesflow.customers.selectors import find_duplicates

    report = Report("(a) 查重 find_duplicates（客户 + 联系人 + 线索，销售代表身份）")
    user = org["reps"][0]
    inputs = samples(runs, org)
    # As inside a request: the view has already checked the user's rights (cached on the user).
    forget_rights(user)
    has_right(user, "customer", "add")
    report.note("权限已在请求中加载（视图先检查权限），查重本身的耗时")

    def check(kind: str, expect_hit: bool):
        values = inputs[kind]
        field = kind.split("_")[0]

        def run(i):
            value = values[i % len(values)]
            kwargs = {"name": value} if field == "name" else {f"{field}s": [value]}
            found = find_duplicates(user=user, **kwargs)
            assert bool(found) == expect_hit, (kind, value, found)

        return run

    for kind in inputs:
        hit = kind.endswith("hit")
        label = f"{kind.split('_')[0]} {'命中' if hit else '未命中'}"
        report.add(
            measure(
                f"查重 {label}",
                check(kind, hit),
                runs=runs,
                target_median=15,
                target_p95=30,
            )
        )

    def entry(i):  # a lead entry checks all three at once
        find_duplicates(
            user=user,
            name=inputs["name_miss"][i % runs],
            phones=[inputs["phone_miss"][i % runs]],
            emails=[inputs["email_miss"][i % runs]],
        )

    report.add(measure("查重 登记（名称+电话+邮箱，未命中）", entry, runs=runs,
                       target_median=15, target_p95=30))  # fmt: skip
    return report


def bench_lists(org: dict, runs: int) -> tuple[Report, dict]:
    from django.core.paginator import Paginator
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from salesflow.core.scope import forget_rights
    from salesflow.customers import selectors as customer_selectors
    from salesflow.leads import selectors as lead_selectors

    report = Report("(b) 列表第一页（50 行）")
    report.note("SQL 行：每次重新计算数据范围（权限与下属），即一个请求的全部查询")
    people = [
        ("销售代表", org["reps"][0]),
        ("销售经理", org["managers"]["east"]),
        ("销售总监", org["director"]),
    ]
    lists = [
        ("客户 grade=A", lambda u: customer_selectors.customer_list(user=u, filters={"grade": "A"}),
         "customers:list", "?grade=A"),
        ("线索 status=new", lambda u: lead_selectors.lead_list(user=u, filters={"status": "new"}),
         "leads:list", "?status=new"),
    ]  # fmt: skip
    querysets = {}
    for label, make_qs, url_name, query in lists:
        for role, user in people:

            def page(_i, user=user, make_qs=make_qs):
                forget_rights(user)
                return list(make_qs(user)[:50])

            def paginated(_i, user=user, make_qs=make_qs):
                forget_rights(user)
                page = Paginator(make_qs(user), 50).get_page(1)
                return page.paginator.count, list(page.object_list)

            rows = page(0)
            result = report.add(
                measure(f"SQL {label} {role}（{len(rows)} 行）", page, runs=runs, target_p95=60)
            )
            querysets[result.name] = (make_qs, user, False)
            result = report.add(
                measure(f"SQL+COUNT {label} {role}", paginated, runs=runs, target_p95=60)
            )
            querysets[result.name] = (make_qs, user, True)
        try:
            url = reverse(url_name) + query
        except NoReverseMatch:
            report.note(f"{url_name} 不存在，跳过 HTTP 测量")
            continue
        for role, user in people:
            client = Client()
            client.force_login(user)
            try:
                response = client.get(url)
            except Exception as exc:  # the page is being written; report, do not stop
                report.note(f"GET {url}（{role}）出错：{type(exc).__name__}: {exc}")
                continue
            if response.status_code != 200:
                report.note(f"GET {url}（{role}）返回 {response.status_code}，跳过")
                continue
            report.add(
                measure(f"HTTP GET {url} {role}", lambda _i, c=client, u=url: c.get(u),
                        runs=max(20, runs // 2), target_p95=60)
            )  # fmt: skip
    connection.close()
    return report, querysets


def main() -> None:
    def extra(parser):
        parser.add_argument("--customers", type=int, default=200_000)
        parser.add_argument("--leads", type=int, default=200_000)
        parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE every list")

    args = parse_args(__doc__.splitlines()[0], extra)
    setup(fresh=args.fresh)
    print("准备数据…", flush=True)
    org = ensure_data(args)
    print("测量查重…", flush=True)
    dedup = bench_dedup(org, args.runs)
    print("测量列表…", flush=True)
    lists, querysets = bench_lists(org, args.runs)
    for report in (dedup, lists):
        report.notes.insert(0, f"数据量：客户 {args.customers:,}，线索 {args.leads:,}")
    missed = [r for r in lists.results if r.ok is False or args.explain]
    for result in missed:
        if result.name not in querysets:
            continue
        make_qs, user, with_count = querysets[result.name]
        qs = make_qs(user)
        print(f"\nEXPLAIN ANALYZE — {result.name}\n{explain(qs[:50])}")
        if with_count:
            print(f"\nEXPLAIN ANALYZE — COUNT\n{explain_count(qs)}")
    print_table([dedup, lists])
    if args.json:
        save_json(args.json, [dedup, lists])


if __name__ == "__main__":
    main()
