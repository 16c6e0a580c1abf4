"""The demo company: an ordered list of named, idempotent seeding steps.

``seed()`` runs every registered step, in ``order``, inside one transaction. Later features
register their own steps (customers, opportunities, …)::

    from salesflow.org import demo

    def seed_customers(ctx: demo.SeedContext) -> None:
        rep = ctx.users["rep.east.1"]
        ...

    demo.register_step("customers", seed_customers, order=200)

Each step receives a :class:`SeedContext`: ``ctx.random`` is a ``random.Random`` derived from
the seed *and the step name* (adding a step never changes what earlier steps draw),
``ctx.departments`` / ``ctx.users`` hold what the organisation step built (keyed by stable
slot keys, see :data:`DEPARTMENTS` and :func:`people_plan`), ``ctx.count(kind)`` tallies what
a step created and ``ctx.log()`` writes a line. A step must be idempotent: look up before
creating, never modify what already exists.

Demo users are recognised by their e-mail domain :data:`EMAIL_DOMAIN`; they all share the
password ``settings.SALESFLOW_DEMO_PASSWORD`` (hashed once per run — Argon2 is slow).
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from salesflow.core.context import job_context

from . import services
from .models import Department, Role, User

DEFAULT_SEED = 20261123
COMPANY_NAME = "华信智能装备有限公司"
EMAIL_DOMAIN = "demo.salesflow.cn"

#: The easy-to-type logins the README prints, in display order (login, what it shows).
KEY_LOGINS: list[tuple[str, str]] = [
    ("admin", "系统管理员：用户、角色、部门和系统设置"),
    ("director", "销售总监：全公司数据，审批阶段跳过、合同和大额折扣"),
    ("manager.east", "华东区销售经理：本人及下属（上海组、杭州组）的数据"),
    ("rep.east", "华东区（上海组）销售代表：只看本人的数据"),
]
KEY_LOGIN_NAMES: list[str] = [login for login, _ in KEY_LOGINS]

#: Order of roles in the logins table.
ROLE_ORDER = [
    "admin",
    "sales_director",
    "sales_manager",
    "key_account_manager",
    "sales_rep",
    "sales_assistant",
    "marketing",
    "customer_service",
    "product_expert",
    "finance",
]


# --- Step registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    func: Callable[[SeedContext], Any]
    order: int


_STEPS: dict[str, Step] = {}


def register_step(name: str, func: Callable[[SeedContext], Any] | None = None, order: int = 100):
    """Register (or replace) the step ``name``; steps run by ascending ``order``, then name.

    Usable directly (``register_step("x", f, order=200)``) or as a decorator
    (``@register_step("x", order=200)``). Returns ``func``.
    """

    def decorator(f: Callable[[SeedContext], Any]):
        _STEPS[name] = Step(name=name, func=f, order=order)
        return f

    return decorator(func) if func is not None else decorator


def unregister_step(name: str) -> None:
    _STEPS.pop(name, None)


def steps() -> list[Step]:
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))


class _NullWriter:
    def write(self, _msg: str) -> None:
        pass


@dataclass
class SeedContext:
    seed: int
    stdout: Any = field(default_factory=_NullWriter)
    random: random.Random = field(default_factory=random.Random)
    step: str = ""
    departments: dict[str, Department] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    created: Counter = field(default_factory=Counter)
    data: dict[str, Any] = field(default_factory=dict)  # free-form hand-over between steps
    _password_hash: str | None = None

    def rng_for(self, name: str) -> random.Random:
        """A generator that depends only on the seed and ``name`` (stable across runs)."""
        return random.Random(f"{self.seed}:{name}")

    def log(self, msg: str) -> None:
        self.stdout.write(msg if msg.endswith("\n") else msg + "\n")

    def count(self, kind: str, n: int = 1) -> None:
        self.created[kind] += n

    @property
    def password_hash(self) -> str:
        """The demo password, hashed once per run and reused for every demo user."""
        if self._password_hash is None:
            self._password_hash = make_password(settings.SALESFLOW_DEMO_PASSWORD)
        return self._password_hash


def load_app_steps() -> None:
    """Import ``<app>.demo`` of every installed ``salesflow.*`` app that has one, so that its
    ``register_step`` calls run (the org step is registered by this module itself)."""
    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("salesflow."):
            continue
        module = f"{config.name}.demo"
        if module != __name__ and importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


def seed(stdout=None, seed: int = DEFAULT_SEED) -> SeedContext:
    """Run every registered step, in order, in one transaction; return the context."""
    load_app_steps()
    ctx = SeedContext(seed=seed, stdout=stdout if stdout is not None else _NullWriter())
    with job_context("seed_demo"), transaction.atomic():
        for step in steps():
            ctx.step = step.name
            ctx.random = ctx.rng_for(step.name)
            step.func(ctx)
    ctx.step = ""
    return ctx


# --- Step "org": departments ------------------------------------------------------------------

#: (key, name, parent key, region) — parents before children.
DEPARTMENTS: list[tuple[str, str, str | None, str]] = [
    ("company", COMPANY_NAME, None, ""),
    ("sales", "销售中心", "company", ""),
    ("east", "华东区", "sales", "华东"),
    ("east.sh", "上海组", "east", "华东"),
    ("east.hz", "杭州组", "east", "华东"),
    ("south", "华南区", "sales", "华南"),
    ("north", "华北区", "sales", "华北"),
    ("marketing", "市场部", "company", ""),
    ("service", "客户服务部", "company", ""),
    ("finance", "财务部", "company", ""),
    ("support", "技术支持部", "company", ""),
    ("it", "信息部", "company", ""),
]

REGIONS = [("east", "华东"), ("south", "华南"), ("north", "华北")]


def ensure_department(ctx: SeedContext, key: str, name: str, parent: Department | None, region=""):
    dept = Department.objects.filter(name=name, parent=parent).order_by("id").first()
    if dept is None:
        dept = services.department_create(actor=None, name=name, parent=parent, region=region)
        ctx.count("departments")
    ctx.departments[key] = dept
    return dept


def seed_departments(ctx: SeedContext) -> None:
    for key, name, parent_key, region in DEPARTMENTS:
        parent = ctx.departments[parent_key] if parent_key else None
        ensure_department(ctx, key, name, parent, region)


# --- Step "org": people -----------------------------------------------------------------------

SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"),
    ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("潘", "pan"), ("袁", "yuan"),
    ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"), ("叶", "ye"), ("程", "cheng"),
    ("魏", "wei"), ("苏", "su"), ("丁", "ding"), ("沈", "shen"), ("任", "ren"), ("姚", "yao"),
    ("卢", "lu"), ("钟", "zhong"), ("崔", "cui"), ("谭", "tan"), ("范", "fan"), ("廖", "liao"),
    ("石", "shi"), ("金", "jin"), ("贾", "jia"), ("夏", "xia"), ("方", "fang"), ("邹", "zou"),
    ("熊", "xiong"), ("白", "bai"), ("孟", "meng"), ("秦", "qin"), ("邱", "qiu"), ("侯", "hou"),
    ("薛", "xue"), ("段", "duan"), ("雷", "lei"), ("龙", "long"), ("陶", "tao"), ("顾", "gu"),
    ("龚", "gong"), ("邵", "shao"), ("钱", "qian"), ("戴", "dai"), ("严", "yan"), ("孔", "kong"),
]  # fmt: skip

GIVEN_NAMES = [
    ("伟", "wei"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"), ("磊", "lei"),
    ("洋", "yang"), ("艳", "yan"), ("勇", "yong"), ("军", "jun"), ("杰", "jie"), ("娟", "juan"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("平", "ping"), ("刚", "gang"), ("辉", "hui"),
    ("芳", "fang"), ("婷", "ting"), ("鹏", "peng"), ("斌", "bin"), ("宁", "ning"), ("琳", "lin"),
    ("秀英", "xiuying"), ("建华", "jianhua"), ("晓明", "xiaoming"), ("志强", "zhiqiang"),
    ("海燕", "haiyan"), ("雪梅", "xuemei"), ("文博", "wenbo"), ("子涵", "zihan"),
    ("思远", "siyuan"), ("俊杰", "junjie"), ("佳怡", "jiayi"), ("欣然", "xinran"),
    ("宇航", "yuhang"), ("浩然", "haoran"), ("雨桐", "yutong"), ("梦瑶", "mengyao"),
    ("嘉豪", "jiahao"), ("晨曦", "chenxi"), ("一鸣", "yiming"), ("婷婷", "tingting"),
    ("国栋", "guodong"), ("立新", "lixin"), ("红霞", "hongxia"), ("振宇", "zhenyu"),
    ("晓东", "xiaodong"), ("慧敏", "huimin"), ("文静", "wenjing"), ("家乐", "jiale"),
    ("永辉", "yonghui"), ("春燕", "chunyan"), ("天宇", "tianyu"), ("若曦", "ruoxi"),
]  # fmt: skip

PHONE_PREFIXES = ["138", "139", "137", "136", "135", "158", "159", "186", "188", "187", "177"]


@dataclass(frozen=True)
class PersonSlot:
    """One position of the demo company. ``key`` is stable: later steps find people by it."""

    key: str
    role: str
    department: str  # key into DEPARTMENTS
    title: str
    manager: str | None = None  # slot key
    login: str | None = None  # fixed login (key logins); otherwise generated pinyin


def people_plan(rng: random.Random | None = None) -> list[PersonSlot]:
    """The positions of the demo company, managers before their reports.

    Slot keys: ``admin``, ``director``, ``kam``, ``manager.<region>``, ``assistant.<region>``,
    ``rep.<region>.<1-5>`` (``rep.east.1`` is the login ``rep.east``), ``marketing.<n>``,
    ``service.<n>``, ``expert.1``, ``finance.1``. ``rng`` only decides which reps are senior.
    """
    rng = rng or random.Random(DEFAULT_SEED)
    slots = [
        PersonSlot("admin", "admin", "it", "系统管理员", login="admin"),
        PersonSlot("director", "sales_director", "sales", "销售总监", login="director"),
        PersonSlot("kam", "key_account_manager", "sales", "大客户经理", manager="director"),
    ]
    for region, region_name in REGIONS:
        slots.append(
            PersonSlot(
                f"manager.{region}",
                "sales_manager",
                region,
                f"{region_name}区销售经理",
                manager="director",
                login="manager.east" if region == "east" else None,
            )
        )
    for region, _ in REGIONS:
        # one senior rep per region (never the key login rep.east), the rest regular or junior
        senior = rng.randint(2, 5)
        for n in range(1, 6):
            if n == senior:
                title = "高级销售"
            else:
                title = "销售代表" if n == 1 or rng.random() < 0.6 else "初级销售"
            department = region
            if region == "east":  # 华东 has two teams below the region
                department = "east.sh" if n <= 3 else "east.hz"
            slots.append(
                PersonSlot(
                    f"rep.{region}.{n}",
                    "sales_rep",
                    department,
                    title,
                    manager=f"manager.{region}",
                    login="rep.east" if (region, n) == ("east", 1) else None,
                )
            )
    for region, _ in REGIONS:
        slots.append(
            PersonSlot(
                f"assistant.{region}",
                "sales_assistant",
                region,
                "销售助理",
                manager=f"manager.{region}",
            )
        )
    slots += [
        PersonSlot("marketing.1", "marketing", "marketing", "市场专员"),
        PersonSlot("marketing.2", "marketing", "marketing", "市场专员"),
        PersonSlot("service.1", "customer_service", "service", "客服专员"),
        PersonSlot("service.2", "customer_service", "service", "售后工程师"),
        PersonSlot("expert.1", "product_expert", "support", "产品专家"),
        PersonSlot("finance.1", "finance", "finance", "财务会计"),
    ]
    return slots


@dataclass(frozen=True)
class Identity:
    display_name: str
    login: str
    phone: str


def identities(rng: random.Random, slots: Iterable[PersonSlot]) -> dict[str, Identity]:
    """A unique Chinese name, pinyin login and mobile number for every slot (deterministic)."""
    names, logins, phones = set(), set(), set()
    reserved = {s.login for s in slots if s.login}
    result = {}
    for slot in slots:
        while True:
            (sur, sur_py), (given, given_py) = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
            name, login = sur + given, f"{sur_py}.{given_py}"
            if name not in names and login not in logins and login not in reserved:
                break
        while True:
            phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if phone not in phones:
                break
        names.add(name)
        logins.add(login)
        phones.add(phone)
        result[slot.key] = Identity(name, slot.login or login, phone)
    return result


def demo_users():
    """Active demo users (by e-mail domain), key logins first, then by role, department, login."""
    users = list(
        User.objects.filter(email__iendswith=f"@{EMAIL_DOMAIN}", is_active=True)
        .select_related("department")
        .prefetch_related("roles")
    )
    role_rank = {code: i for i, code in enumerate(ROLE_ORDER)}
    key_rank = {login: i for i, login in enumerate(KEY_LOGIN_NAMES)}

    def sort_key(u: User):
        ranks = [role_rank.get(r.code, len(ROLE_ORDER)) for r in u.roles.all()]
        return (
            key_rank.get(u.username, len(key_rank)),
            min(ranks, default=len(ROLE_ORDER)),
            u.department.path if u.department else "",
            u.username,
        )

    return sorted(users, key=sort_key)


def _claim_existing(ctx: SeedContext, slot: PersonSlot, role: Role) -> User | None:
    """An existing demo user that already fills ``slot`` (so reruns never duplicate)."""
    if slot.login:
        return User.objects.filter(username=slot.login).first()
    claimed = {u.pk for u in ctx.users.values()}
    return (
        User.objects.filter(
            email__iendswith=f"@{EMAIL_DOMAIN}",
            department=ctx.departments[slot.department],
            roles=role,
        )
        .exclude(pk__in=claimed)
        .exclude(username__in=KEY_LOGIN_NAMES)
        .order_by("id")
        .first()
    )


def _free_login(login: str) -> str:
    candidate, n = login, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{login}{n}"
    return candidate


def seed_people(ctx: SeedContext) -> None:
    slots = people_plan(ctx.rng_for("people.titles"))
    idents = identities(ctx.rng_for("people.names"), slots)  # drawn in full, whatever exists
    roles = {r.code: r for r in Role.objects.all()}
    new_ids = []
    for slot in slots:
        role = roles[slot.role]
        user = _claim_existing(ctx, slot, role)
        if user is None:
            ident = idents[slot.key]
            login = ident.login if slot.login else _free_login(ident.login)
            user = services.user_create(
                actor=None,
                username=login,
                display_name=ident.display_name,
                department=ctx.departments[slot.department],
                manager=ctx.users.get(slot.manager) if slot.manager else None,
                roles=[role],
                email=f"{login}@{EMAIL_DOMAIN}",
                phone=ident.phone,
                title=slot.title,
            )
            user.password = ctx.password_hash
            new_ids.append(user.pk)
            ctx.count("users")
        ctx.users[slot.key] = user
    if new_ids:
        User.objects.filter(pk__in=new_ids).update(password=ctx.password_hash)


def seed_org(ctx: SeedContext) -> None:
    seed_departments(ctx)
    seed_people(ctx)


register_step("org", seed_org, order=10)


# --- Output ------------------------------------------------------------------------------------


def company_counts() -> tuple[int, int]:
    """(departments in the demo company tree, active demo users)."""
    root = Department.objects.filter(name=COMPANY_NAME, parent=None).order_by("id").first()
    departments = Department.objects.filter(path__startswith=root.path).count() if root else 0
    users = User.objects.filter(email__iendswith=f"@{EMAIL_DOMAIN}", is_active=True).count()
    return departments, users


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(c) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return lines


def login_lines() -> list[str]:
    """The logins table and the shared password, or a hint when no demo user exists."""
    users = demo_users()
    if not users:
        return ["还没有演示账号。运行 `python manage.py seed_demo` 创建演示公司。"]
    rows = [
        [
            u.username,
            u.display_name,
            "、".join(r.name for r in u.roles.all()),
            u.department.name if u.department else "",
        ]
        for u in users
    ]
    notes = dict(KEY_LOGINS)
    present = {u.username for u in users}
    lines = ["演示账号："]
    lines += format_table(["登录名", "姓名", "角色", "部门"], rows)
    key_rows = [[login, notes[login]] for login in KEY_LOGIN_NAMES if login in present]
    if key_rows:
        lines += ["", "推荐先试："]
        lines += [f"  {_pad(login, 14)}{note}" for login, note in key_rows]
    lines += ["", f"所有演示账号的密码：{settings.SALESFLOW_DEMO_PASSWORD}"]
    return lines


def write_logins(stdout) -> None:
    for line in login_lines():
        stdout.write(line + "\n")
