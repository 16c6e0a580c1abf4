from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from salesflow.core.models import AuditEntry
from salesflow.org import demo
from salesflow.org.models import Department, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def org_step_only(monkeypatch):
    """These tests are about the organisation; the other modules' demo steps (leads,
    customers, deals …) have their own tests and would make these slow."""
    demo.load_app_steps()
    monkeypatch.setattr(demo, "load_app_steps", lambda: None)
    monkeypatch.setattr(demo, "_STEPS", {k: v for k, v in demo._STEPS.items() if k == "org"})


EXPECTED_ROLE_COUNTS = {
    "sales_director": 1,
    "sales_manager": 3,
    "sales_rep": 15,
    "key_account_manager": 1,
    "sales_assistant": 3,
    "marketing": 2,
    "customer_service": 2,
    "product_expert": 1,
    "finance": 1,
    "admin": 1,
}


def run(*args, **kwargs) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


def snapshot_db():
    users = sorted(
        User.objects.values_list(
            "username", "display_name", "phone", "title", "department_id", "manager_id", "password"
        )
    )
    departments = sorted(Department.objects.values_list("id", "name", "parent_id", "path"))
    return users, departments


@pytest.fixture
def seeded():
    return run("seed_demo")


def region_dept(name):
    return Department.objects.get(name=name, parent__name="销售中心")


def test_role_counts(seeded):
    for code, expected in EXPECTED_ROLE_COUNTS.items():
        assert User.objects.filter(roles__code=code).count() == expected, code
    assert User.objects.count() == sum(EXPECTED_ROLE_COUNTS.values())
    assert all(u.roles.count() == 1 for u in User.objects.all())


def test_department_tree(seeded):
    company = Department.objects.get(name=demo.COMPANY_NAME, parent=None)
    sales = Department.objects.get(name="销售中心", parent=company)
    for name, region in [("华东区", "华东"), ("华南区", "华南"), ("华北区", "华北")]:
        assert region_dept(name).region == region
    for name in ["市场部", "客户服务部", "财务部", "技术支持部", "信息部"]:
        assert Department.objects.filter(name=name, parent=company).exists()
    east = region_dept("华东区")
    assert set(east.children.values_list("name", flat=True)) == {"上海组", "杭州组"}
    assert east.children.first().depth == sales.depth + 2
    for dept in Department.objects.exclude(parent=None).select_related("parent"):
        assert dept.path.startswith(dept.parent.path), dept
        assert dept.path == f"{dept.parent.path}{dept.pk}/"
        assert dept.depth == dept.parent.depth + 1
    assert company.path == f"/{company.pk}/"


def test_reporting_lines(seeded):
    director = User.objects.get(roles__code="sales_director")
    assert director.username == "director"
    assert director.manager is None
    assert director.department.name == "销售中心"
    managers = User.objects.filter(roles__code="sales_manager")
    assert {m.department.name for m in managers} == {"华东区", "华南区", "华北区"}
    for manager in managers:
        assert manager.manager == director
        region = manager.department
        reps = User.objects.filter(roles__code="sales_rep", manager=manager)
        assert reps.count() == 5
        for rep in reps:
            assert rep.department.path.startswith(region.path)
        assistants = User.objects.filter(roles__code="sales_assistant", manager=manager)
        assert [a.department for a in assistants] == [region]
    for rep in User.objects.filter(roles__code="sales_rep"):
        assert rep.manager.department.path in rep.department.path
        assert rep.manager.roles.filter(code="sales_manager").exists()
    kam = User.objects.get(roles__code="key_account_manager")
    assert kam.manager == director
    # 华东 reps are split over two teams below the region
    east_reps = User.objects.filter(roles__code="sales_rep", manager__username="manager.east")
    assert {r.department.name for r in east_reps} == {"上海组", "杭州组"}
    assert User.objects.get(username="rep.east").manager.username == "manager.east"


def test_people_details(seeded):
    users = list(User.objects.all())
    assert len({u.display_name for u in users}) == len(users)
    assert len({u.phone for u in users}) == len(users)
    for u in users:
        assert u.email == f"{u.username}@{demo.EMAIL_DOMAIN}"
        assert len(u.phone) == 11 and u.phone.isdigit() and u.phone.startswith("1")
        assert u.username.isascii() and u.username == u.username.lower()
        assert not u.is_superuser and not u.is_staff
        assert u.is_active and u.has_usable_password()
        assert u.department is not None
    seniors = User.objects.filter(roles__code="sales_rep", title="高级销售").count()
    assert 2 <= seniors <= 3
    assert set(User.objects.filter(roles__code="sales_rep").values_list("title", flat=True)) <= {
        "高级销售",
        "销售代表",
        "初级销售",
    }
    admin = User.objects.get(username="admin")
    assert admin.department.name == "信息部"
    assert list(admin.roles.values_list("code", flat=True)) == ["admin"]
    for login in demo.KEY_LOGIN_NAMES:
        assert User.objects.filter(username=login).exists()


def test_all_demo_users_share_one_password_hash(seeded):
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1
    assert User.objects.get(username="director").check_password(settings.SALESFLOW_DEMO_PASSWORD)


def test_seeding_twice_changes_nothing(seeded):
    before = snapshot_db()
    audits = AuditEntry.objects.count()
    assert AuditEntry.objects.filter(action="user.create").count() == User.objects.count()

    out = run("seed_demo")
    assert snapshot_db() == before
    assert AuditEntry.objects.count() == audits
    assert "本次新建 0 个部门、0 名用户" in out

    # a different seed would draw other names, but the positions are already filled
    run("seed_demo", "--seed", "7")
    assert snapshot_db() == before
    assert AuditEntry.objects.count() == audits


def test_seeding_is_deterministic():
    run("seed_demo")
    first = sorted(User.objects.values_list("username", "display_name", "phone", "title"))
    User.objects.update(manager=None)
    User.objects.all().delete()
    AuditEntry.objects.all().delete()
    run("seed_demo")  # departments exist already; people are recreated from the same seed
    assert sorted(User.objects.values_list("username", "display_name", "phone", "title")) == first


def test_other_seed_gives_other_people_but_same_key_logins():
    a = demo.identities(demo.random.Random("1:people.names"), demo.people_plan())
    b = demo.identities(demo.random.Random("2:people.names"), demo.people_plan())
    assert a != b
    assert a["director"].login == b["director"].login == "director"
    assert a["rep.east.1"].login == "rep.east"


def test_recreates_a_missing_person_only(seeded):
    rep = User.objects.filter(roles__code="sales_rep", department__name="华南区").last()
    username = rep.username
    rep.delete()
    run("seed_demo")
    assert User.objects.count() == sum(EXPECTED_ROLE_COUNTS.values())
    assert User.objects.filter(username=username).exists()


def test_if_empty_with_existing_user_creates_nothing(make_user):
    make_user("sales_rep", username="someone")
    out = run("seed_demo", "--if-empty")
    assert User.objects.count() == 1
    assert not Department.objects.filter(name=demo.COMPANY_NAME).exists()
    assert "已有用户" in out
    assert "seed_demo" in out  # the hint, since no demo user exists


def test_if_empty_on_empty_database_seeds():
    run("seed_demo", "--if-empty")
    assert User.objects.count() == sum(EXPECTED_ROLE_COUNTS.values())
    out = run("seed_demo", "--if-empty")
    assert "已有用户" in out
    assert "rep.east" in out
    assert User.objects.count() == sum(EXPECTED_ROLE_COUNTS.values())


def test_output_lists_key_logins_and_password(seeded):
    assert "演示公司已创建：12 个部门，30 名用户" in seeded
    for login in demo.KEY_LOGIN_NAMES:
        assert login in seeded
    assert settings.SALESFLOW_DEMO_PASSWORD in seeded
    director = User.objects.get(username="director")
    assert director.display_name in seeded

    printed = run("print_demo_logins")
    for user in User.objects.all():
        assert user.username in printed
    assert "销售总监" in printed and "华东区" in printed
    assert settings.SALESFLOW_DEMO_PASSWORD in printed


def test_print_demo_logins_without_demo_users(make_user):
    make_user("admin", username="real.admin")
    out = run("print_demo_logins")
    assert "seed_demo" in out
    assert "real.admin" not in out
    assert settings.SALESFLOW_DEMO_PASSWORD not in out


def test_print_demo_logins_skips_non_demo_users(seeded, make_user):
    make_user("sales_rep", username="real.person")
    assert "real.person" not in run("print_demo_logins")


def test_demo_login_works(seeded, client):
    response = client.post(
        "/accounts/login/",
        {"username": "rep.east", "password": settings.SALESFLOW_DEMO_PASSWORD},
    )
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == User.objects.get(username="rep.east").pk


def test_registered_steps_run_in_order():
    calls = []

    def later(ctx):
        calls.append(("later", ctx.users["rep.east.1"].username, ctx.random.random()))

    def earlier(ctx):
        calls.append(("earlier", len(ctx.departments), ctx.random.random()))

    demo.register_step("test.later", later, order=500)
    demo.register_step("test.earlier", earlier, order=400)
    try:
        assert [s.name for s in demo.steps()][:1] == ["org"]
        demo.seed(seed=5)
        demo.seed(seed=5)
    finally:
        demo.unregister_step("test.later")
        demo.unregister_step("test.earlier")
    assert [c[0] for c in calls] == ["earlier", "later", "earlier", "later"]
    assert calls[0] == calls[2] and calls[1] == calls[3]  # same seed, same draws
    assert calls[0][1] == 12 and calls[1][1] == "rep.east"
    assert "test.later" not in [s.name for s in demo.steps()]


def test_register_step_as_decorator():
    @demo.register_step("test.decorated", order=999)
    def step(ctx):
        ctx.count("things", 2)
        ctx.log("did things")

    try:
        out = StringIO()
        ctx = demo.seed(stdout=out, seed=1)
    finally:
        demo.unregister_step("test.decorated")
    assert step.__name__ == "step"
    assert ctx.created["things"] == 2
    assert "did things\n" in out.getvalue()
