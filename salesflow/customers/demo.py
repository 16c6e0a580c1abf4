"""Demo customers of 华信智能装备有限公司: ~165 Chinese B2B customers with contacts, grades
spread over A/B/C, first deals, follow-up dates, a 华东 department pool and customers in the
公海 (returned by hand or recycled by the nightly rule).

Everything is written through ``customers.services`` (keys, grades, history and audit are
right); afterwards the dates are moved into the past (created up to two years ago, last
followed up days or months ago). Idempotent: the step does nothing when the marker customer
exists. The company-name generator is shared with the leads step.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Value, When
from django.utils import timezone

from salesflow.core.models import AuditEntry
from salesflow.core.normalize import normalize_company_name, normalize_email, normalize_phone
from salesflow.org import demo
from salesflow.org.models import User

from . import services
from .models import (
    Contact,
    Customer,
    CustomerPool,
    GradeChange,
    Industry,
    OwnershipEvent,
    Region,
)

MARKER = "苏州恒达精密机械有限公司"
#: name → (city, e-mail domain) of the companies each demo step creates first (its marker)
FIXED_COMPANIES = {
    MARKER: ("苏州", "szhengdajm.com"),
    "无锡博远汽车零部件有限公司": ("无锡", "wxboyuanauto.com"),
}
DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)

# --- Chinese company names ----------------------------------------------------------------------

#: region → [(city, pinyin abbreviation, area code)]
CITIES = {
    "华东": [
        ("苏州", "sz", "0512"), ("上海", "sh", "021"), ("杭州", "hz", "0571"),
        ("宁波", "nb", "0574"), ("无锡", "wx", "0510"), ("南京", "nj", "025"),
        ("常州", "cz", "0519"), ("嘉兴", "jx", "0573"), ("绍兴", "sx", "0575"),
        ("南通", "nt", "0513"), ("温州", "wz", "0577"), ("合肥", "hf", "0551"),
    ],
    "华南": [
        ("深圳", "sz", "0755"), ("广州", "gz", "020"), ("东莞", "dg", "0769"),
        ("佛山", "fs", "0757"), ("珠海", "zh", "0756"), ("中山", "zs", "0760"),
        ("厦门", "xm", "0592"), ("惠州", "hz", "0752"), ("江门", "jm", "0750"),
    ],
    "华北": [
        ("北京", "bj", "010"), ("天津", "tj", "022"), ("石家庄", "sjz", "0311"),
        ("保定", "bd", "0312"), ("唐山", "ts", "0315"), ("廊坊", "lf", "0316"),
        ("济南", "jn", "0531"), ("青岛", "qd", "0532"), ("太原", "ty", "0351"),
    ],
    "华中": [("武汉", "wh", "027"), ("长沙", "cs", "0731"), ("郑州", "zz", "0371")],
    "西南": [("成都", "cd", "028"), ("重庆", "cq", "023"), ("昆明", "km", "0871")],
}  # fmt: skip

BRANDS = [
    ("恒达", "hengda"), ("华瑞", "huarui"), ("鼎盛", "dingsheng"), ("宏远", "hongyuan"),
    ("金泰", "jintai"), ("新锐", "xinrui"), ("博远", "boyuan"), ("永信", "yongxin"),
    ("天成", "tiancheng"), ("瑞丰", "ruifeng"), ("联创", "lianchuang"), ("精诚", "jingcheng"),
    ("华盛", "huasheng"), ("东升", "dongsheng"), ("嘉禾", "jiahe"), ("立信", "lixin"),
    ("凯达", "kaida"), ("万通", "wantong"), ("润泽", "runze"), ("德润", "derun"),
    ("汇丰源", "huifengyuan"), ("长虹桥", "changhongqiao"), ("明阳", "mingyang"),
    ("科远", "keyuan"), ("同创", "tongchuang"), ("信达", "xinda"),
    ("安捷", "anjie"), ("卓越", "zhuoyue"), ("海纳", "haina"), ("启明", "qiming"),
    ("睿智", "ruizhi"), ("远航", "yuanhang"), ("恒通", "hengtong"), ("兴业", "xingye"),
    ("金鹰", "jinying"), ("晨光", "chenguang"), ("中瑞", "zhongrui"), ("拓普森", "tuopusen"),
    ("巨川", "juchuan"), ("宝丰", "baofeng"), ("泰和", "taihe"), ("昌盛", "changsheng"),
    ("铭泰", "mingtai"), ("久安", "jiuan"), ("华鼎", "huading"), ("优能", "youneng"),
]  # fmt: skip

#: industry → [(business, pinyin abbreviation)]
BUSINESSES = {
    "制造业": [
        ("精密机械", "jm"), ("汽车零部件", "auto"), ("电子科技", "et"), ("模具", "mold"),
        ("新材料", "nm"), ("自动化设备", "auto"), ("五金制品", "hw"), ("塑胶制品", "pl"),
        ("包装材料", "pack"), ("电气设备", "elec"), ("纺织", "tex"), ("食品机械", "fm"),
        ("阀门", "valve"), ("轴承", "bearing"), ("液压机械", "hyd"), ("线缆", "cable"),
    ],
    "零售业": [("连锁超市", "mart"), ("商贸", "trade"), ("家居用品", "home")],
    "服务业": [("物业服务", "pm"), ("企业管理咨询", "mc"), ("人力资源服务", "hr")],
    "信息技术": [("软件技术", "soft"), ("信息技术", "it"), ("数据科技", "data")],
    "医疗健康": [("医疗器械", "med"), ("生物科技", "bio"), ("制药", "pharma")],
    "物流运输": [("供应链管理", "scm"), ("物流", "log"), ("冷链物流", "cold")],
    "能源化工": [("化工", "chem"), ("新能源科技", "ne"), ("环保科技", "env")],
    "建筑与房地产": [("建筑工程", "build"), ("建材", "bm"), ("幕墙工程", "cw")],
}  # fmt: skip
INDUSTRY_WEIGHTS = {
    "制造业": 52, "零售业": 6, "服务业": 5, "信息技术": 7, "医疗健康": 8, "物流运输": 8,
    "能源化工": 9, "建筑与房地产": 5,
}  # fmt: skip
SUFFIXES = ["有限公司"] * 7 + ["股份有限公司", "有限责任公司", "集团有限公司"]
STREETS = ["工业园区星湖街", "经济开发区长江路", "高新区科技大道", "新区珠江路", "工业大道"]

MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "157", "158", "159", "180", "181", "182", "185", "186", "187", "188", "189",
]  # fmt: skip

#: decision role → titles
ROLE_TITLES = {
    "decision_maker": ["总经理", "董事长", "副总经理", "厂长"],
    "influencer": ["技术总监", "生产总监", "设备部经理", "财务总监"],
    "user": ["车间主任", "设备主管", "IT主管", "质量经理"],
    "purchaser": ["采购经理", "采购主管", "供应链经理"],
}

SERVICE_NEEDS = [
    "设备年度维保，备件48小时内到货",
    "产线升级改造方案，分两期实施",
    "操作人员培训，每季度一次",
    "远程监控平台接入，减少现场巡检",
    "老设备能耗评估与节能改造",
    "质量追溯系统与MES对接",
]


class Names:
    """Unique company names, phones and e-mail addresses, drawn deterministically. Keys that
    are already in the database (or drawn before) are never drawn again."""

    def __init__(self, rng: random.Random):
        from salesflow.leads.models import Lead

        self.rng = rng
        self.name_keys = set(Customer.all_objects.values_list("name_key", flat=True))
        self.name_keys |= set(Lead.all_objects.values_list("name_key", flat=True))
        self.phones = set(Contact.all_objects.values_list("phone_key", flat=True))
        self.phones |= set(Lead.all_objects.values_list("phone_key", flat=True))
        self.phones |= set(Customer.all_objects.values_list("phone_key", flat=True))
        self.phones |= set(User.objects.values_list("phone", flat=True))
        self.emails = set(Contact.all_objects.values_list("email_key", flat=True))
        self.emails |= set(Lead.all_objects.values_list("email_key", flat=True))

    def industry(self) -> str:
        names = list(INDUSTRY_WEIGHTS)
        return self.rng.choices(names, weights=[INDUSTRY_WEIGHTS[n] for n in names])[0]

    def company(self, region: str, industry: str, fixed: str | None = None) -> dict:
        """``{"name", "domain", "city", "area"}`` for a new company in ``region``; ``fixed``
        names one of :data:`FIXED_COMPANIES` (the steps' markers)."""
        if fixed:
            city, domain = FIXED_COMPANIES[fixed]
            area = next(a for c, _py, a in CITIES[region] if c == city)
            self.name_keys.add(normalize_company_name(fixed))
            return {"name": fixed, "domain": domain, "city": city, "area": area}
        while True:
            city, city_py, area = self.rng.choice(CITIES[region])
            brand, brand_py = self.rng.choice(BRANDS)
            business, business_py = self.rng.choice(BUSINESSES[industry])
            name = f"{city}{brand}{business}{self.rng.choice(SUFFIXES)}"
            key = normalize_company_name(name)
            if key not in self.name_keys:
                self.name_keys.add(key)
                domain = f"{city_py}{brand_py}{business_py}.com"
                return {"name": name, "domain": domain, "city": city, "area": area}

    def mobile(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def landline(self, area: str) -> str:
        while True:
            phone = f"{area}-{self.rng.randint(5, 8)}{self.rng.randrange(10**6, 10**7)}"
            if normalize_phone(phone) not in self.phones:
                self.phones.add(normalize_phone(phone))
                return phone

    def person(self, domain: str) -> tuple[str, str, str]:
        """(name, mobile, e-mail) of a contact person at ``domain``."""
        (surname, sur_py), (given, given_py) = (
            self.rng.choice(demo.SURNAMES),
            self.rng.choice(demo.GIVEN_NAMES),
        )
        local = f"{given_py}.{sur_py}" if self.rng.random() < 0.6 else f"{sur_py}{given_py}"
        email, n = f"{local}@{domain}", 1
        while normalize_email(email) in self.emails:
            n += 1
            email = f"{local}{n}@{domain}"
        self.emails.add(normalize_email(email))
        return surname + given, self.mobile(), email


def contacts_for(names: Names, company: dict) -> list[dict]:
    rng = names.rng
    roles = [rng.choice(["decision_maker", "purchaser"])]
    others = [r for r in ROLE_TITLES if r not in roles]
    roles += rng.sample(others, rng.choice([0, 1, 1, 2, 2, 3]))
    rows = []
    for index, role in enumerate(roles):
        name, phone, email = names.person(company["domain"])
        rows.append(
            {
                "name": name,
                "title": rng.choice(ROLE_TITLES[role]),
                "decision_role": role,
                "phone": phone,
                "email": email if rng.random() < 0.85 else "",
                "wechat": f"wx_{phone[-6:]}" if rng.random() < 0.3 else "",
                "is_primary": index == 0,
            }
        )
    return rows


def annual_value(rng: random.Random, grade: str) -> Decimal:
    if grade == "A":
        return Decimal(rng.randrange(50, 260) * 10_000)
    if grade == "B":
        return Decimal(rng.randrange(10, 50) * 10_000)
    return Decimal(rng.randrange(8, 100) * 1_000)


def customer_data(names: Names, region: Region, industry: Industry, grade: str, fixed=None):
    rng = names.rng
    company = names.company(region.name, industry.name, fixed)
    employees = rng.choice([40, 80, 120, 200, 350, 600, 1200, 3000])
    data = {
        "name": company["name"],
        "industry": industry,
        "region": region,
        "employees": employees,
        "annual_revenue": Decimal(employees * rng.randint(40, 160)),
        "address": f"{company['city']}市{rng.choice(STREETS)}{rng.randint(1, 888)}号",
        "website": f"www.{company['domain']}",
        "phone": names.landline(company["area"]) if rng.random() < 0.6 else "",
        "service_needs": rng.choice(SERVICE_NEEDS),
        "expected_annual_value": annual_value(rng, grade),
        "credit_rating": rng.choice(["AAA", "AA", "AA", "A", "A", "B", "C"]),
    }
    data["credit_limit"] = (data["expected_annual_value"] * Decimal("0.3")).quantize(Decimal(1))
    return data, contacts_for(names, company)


# --- the step ---------------------------------------------------------------------------------

OWNER_SLOTS = [f"rep.{r}.{n}" for r in ("east", "south", "north") for n in range(1, 6)]
REGION_OF_SLOT = {"east": "华东", "south": "华南", "north": "华北"}
PER_REP = 9
KEY_ACCOUNTS = 8
POOLED_RETURNED = 12
POOLED_RECYCLED = 10
RETURN_REASONS = ["客户暂无采购计划，退回公海", "联系人已离职，需要重新开发", "多次联系无回应"]


def seed_customers(ctx: demo.SeedContext) -> None:
    if Customer.all_objects.filter(name=MARKER).exists():
        ctx.log("演示客户已存在，跳过。")
        return
    rng = ctx.random
    names = Names(rng)
    regions = {r.name: r for r in Region.objects.all()}
    industries = {i.name: i for i in Industry.objects.all()}
    _pool, created_pool = CustomerPool.objects.get_or_create(
        name="华东区公海", defaults={"department": ctx.departments["east"]}
    )
    ctx.count("pools", int(created_pool))
    plan = []  # (owner, region, grade, fate)
    for slot in OWNER_SLOTS:
        region = REGION_OF_SLOT[slot.split(".")[1]]
        for _ in range(PER_REP):
            grade = rng.choices("ABC", weights=[16, 36, 48])[0]
            plan.append((ctx.users[slot], region, grade, "owned"))
    for _ in range(KEY_ACCOUNTS):
        plan.append((ctx.users["kam"], rng.choice(["华东", "华南", "华北"]), "A", "owned"))
    for fate, count in (("returned", POOLED_RETURNED), ("recycled", POOLED_RECYCLED)):
        for _ in range(count):
            slot = rng.choice(OWNER_SLOTS)
            plan.append((ctx.users[slot], REGION_OF_SLOT[slot.split(".")[1]], "C", fate))
    plan[0] = (ctx.users["rep.east.1"], "华东", "A", "owned")  # the marker, first

    now = timezone.now()
    created: list[tuple[Customer, str]] = []
    for index, (owner, region, grade, fate) in enumerate(plan):
        data, contacts = customer_data(
            names,
            regions[region],
            industries[names.industry() if index else "制造业"],
            grade,
            fixed=MARKER if index == 0 else None,
        )
        customer = services.customer_create(
            actor=owner, data=data, contacts=contacts, owner=owner, confirm_duplicate=True
        )
        ctx.count("customers")
        ctx.count("contacts", len(contacts))
        created.append((customer, fate))

    # Into the pool: stale ones through the nightly rule, others given back by their owner.
    dates = {c.pk: _draw_dates(rng, now, fate) for c, fate in created}
    for customer, fate in created:
        if fate == "recycled":
            _backdate(customer, owned=True, **dates[customer.pk])
    services.pool_recycle(now=now)
    for customer, fate in created:
        if fate == "returned":
            services.customer_return_to_pool(
                actor=customer.owner, customer_id=customer.pk, reason=rng.choice(RETURN_REASONS)
            )
    pooled = [c for c, fate in created if fate != "owned"]
    for customer in pooled:
        moment = now - rng.randint(1, 14) * DAY - rng.randint(0, 600) * MINUTE
        Customer.objects.filter(pk=customer.pk).update(pooled_at=moment)
        OwnershipEvent.objects.filter(
            customer=customer, kind__in=[OwnershipEvent.Kind.RETURN, OwnershipEvent.Kind.RECYCLE]
        ).update(at=moment)
        _audit_at(customer, {"customer.return": moment, "customer.recycle": moment})
    ctx.count("pool customers", len(pooled))
    for customer, fate in created:
        if fate != "recycled":
            _backdate(customer, owned=fate == "owned", **dates[customer.pk])
    ctx.log(
        f"演示客户：{ctx.created['customers']} 个（其中公海 {len(pooled)} 个），"
        f"联系人 {ctx.created['contacts']} 个。"
    )


def _draw_dates(rng: random.Random, now, fate: str) -> dict:
    """Created up to two years ago; most followed up recently, some not for months (the 公海
    rule will take them), many with a first deal. Pool customers were last followed up over
    30 days before they returned."""
    created_at = now - rng.randint(60, 720) * DAY - rng.randint(0, 1440) * MINUTE
    if fate != "owned":
        return {"created_at": created_at, "followup": now - rng.randint(45, 90) * DAY}
    roll = rng.random()
    followup = None
    if roll < 0.78:
        followup = now - rng.randint(0, 25) * DAY - rng.randint(60, 600) * MINUTE
    elif roll < 0.93:
        followup = now - rng.randint(32, 120) * DAY
    first_deal = None
    if rng.random() < 0.65:
        first_deal = created_at + rng.randint(7, (now - created_at).days - 2) * DAY
    return {"created_at": created_at, "followup": followup, "first_deal": first_deal}


def _backdate(customer: Customer, *, owned: bool, created_at, followup, first_deal=None) -> None:
    Customer.objects.filter(pk=customer.pk).update(
        created_at=created_at,
        owned_since=created_at if owned else None,
        last_followup_at=max(followup, created_at) if followup else None,
        first_deal_at=first_deal,
    )
    Contact.objects.filter(customer=customer).update(created_at=created_at)
    OwnershipEvent.objects.filter(customer=customer, kind=OwnershipEvent.Kind.CREATE).update(
        at=created_at
    )
    GradeChange.objects.filter(customer=customer).update(at=created_at)
    _audit_at(customer, {"customer.create": created_at})


def _audit_at(obj, moments: dict[str, datetime.datetime]) -> None:
    """Move the audit entries of ``obj`` with the given actions to the given moments."""
    AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        action__in=list(moments),
    ).update(at=Case(*(When(action=a, then=Value(m)) for a, m in moments.items())))


demo.register_step("customers", seed_customers, order=200)
