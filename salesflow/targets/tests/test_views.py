"""Pages of 目标与报告: scope per role, bounded queries whatever the data size, forms, exports,
the printable report, the analyses in the shared registry, home cards."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from salesflow.analytics import registry
from salesflow.targets import report_services as rs
from salesflow.targets import services
from salesflow.targets.analyses import current_period
from salesflow.targets.models import (
    Level,
    Metric,
    PerformanceNote,
    PeriodKind,
    ReportKind,
    SalesReport,
    Target,
)

from .conftest import customer, opportunity, order

D = Decimal


@pytest.fixture
def month_targets(people):
    """This month: company 1000 → East 600 (rep 400, rep_b 200) + North 400 (other_rep)."""
    start, end = current_period(PeriodKind.MONTH)
    director = people["director"]

    def make(owner, level, value, parent=None, department=None):
        return services.target_create(
            actor=director,
            data={
                "metric": Metric.SALES_AMOUNT,
                "period_kind": PeriodKind.MONTH,
                "period_start": start,
                "period_end": end,
                "level": level,
                "department": department,
                "value": value,
                "owner": owner,
                "parent": parent,
            },
        ).target

    from salesflow.core.services import setting_change
    from salesflow.org.tests.factories import UserFactory

    setting_change(
        actor=UserFactory(roles=["admin"]), key="target.sum_check", value="warn", reason="逐级录入"
    )
    total = make(director, Level.COMPANY, "1000")
    east = make(people["manager"], Level.TEAM, "600", total, people["east"])
    north = make(people["other_manager"], Level.TEAM, "400", total, people["north"])
    return {
        "total": total,
        "east": east,
        "north": north,
        "rep": make(people["rep"], Level.PERSON, "400", east),
        "rep_b": make(people["rep_b"], Level.PERSON, "200", east),
        "other": make(people["other_rep"], Level.PERSON, "400", north),
    }


def _orders(people, n=3):
    today = timezone.localdate()
    for person in ("rep", "rep_b", "other_rep"):
        owner = people[person]
        for _i in range(n):
            cust = customer(owner, first_deal=today)
            order(owner, cust, "100", today, opp=opportunity(owner, cust))


def _visible(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_target_list_scope(client, people, month_targets):
    url = reverse("targets:target_list")
    rep_page = _visible(client, people["rep"], url)
    assert f'/targets/{month_targets["rep"].pk}/"' in rep_page
    assert f'/targets/{month_targets["rep_b"].pk}/"' not in rep_page
    assert f'/targets/{month_targets["total"].pk}/"' not in rep_page
    mgr_page = _visible(client, people["manager"], url)
    for key in ("east", "rep", "rep_b"):
        assert f'/targets/{month_targets[key].pk}/"' in mgr_page
    for key in ("north", "other", "total"):
        assert f'/targets/{month_targets[key].pk}/"' not in mgr_page
    director_page = _visible(client, people["director"], url)
    assert all(f'/targets/{t.pk}/"' in director_page for t in month_targets.values())
    client.force_login(people["rep"])
    assert (
        client.get(reverse("targets:target_detail", args=[month_targets["rep_b"].pk])).status_code
        == 404
    )


def test_pages_issue_bounded_queries(client, people, month_targets, django_assert_max_num_queries):
    client.force_login(people["director"])
    pages = [
        reverse("targets:home"),
        reverse("targets:target_list"),
        reverse("targets:target_detail", args=[month_targets["total"].pk]),
        reverse("targets:completion"),
        reverse("targets:performance"),
        reverse("targets:performance") + "?group_by=product_line",
        reverse("targets:performance") + "?group_by=customer_type&metric=collected",
        reverse("targets:report_list"),
        reverse("targets:report_team"),
    ]
    counts = {}
    for url in pages:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as small:
            assert client.get(url).status_code == 200
        counts[url] = len(small)
    _orders(people, n=6)
    for n in range(12):  # more decomposed targets (with parents) in every list
        parent = month_targets["east" if n % 2 else "north"]
        Target.objects.create(
            metric=parent.metric,
            period_kind=parent.period_kind,
            period_start=parent.period_start,
            period_end=parent.period_end,
            level=Level.PERSON,
            owner=people["rep" if n % 2 else "other_rep"],
            value=D(n),
            parent=parent,
        )
    for person in ("rep", "rep_b", "other_rep"):
        rs.report_draft(owner=people[person], kind=ReportKind.WEEKLY, day=timezone.localdate())
    for url in pages:
        with django_assert_max_num_queries(counts[url] + 2):
            assert client.get(url).status_code == 200


def test_target_page_shows_actual_sum_check_and_history(client, people, month_targets):
    _orders(people, n=1)
    services.target_adjust(
        actor=people["director"],
        target_id=month_targets["north"].pk,
        value="500",
        reason="华北扩编",
    )
    page = _visible(
        client,
        people["director"],
        reverse("targets:target_detail", args=[month_targets["total"].pk]),
    )
    assert "差额" in page and "-100" in page  # 600 + 500 vs 1000
    north = _visible(
        client,
        people["director"],
        reverse("targets:target_detail", args=[month_targets["north"].pk]),
    )
    assert "华北扩编" in north and "400 → 500" in north
    rep = _visible(
        client, people["rep"], reverse("targets:target_detail", args=[month_targets["rep"].pk])
    )
    assert 'id="target-completion"' in rep and "25%" in rep  # 100 / 400


def test_create_and_decompose_through_the_pages(client, people):
    client.force_login(people["director"])
    response = client.post(
        reverse("targets:target_create"),
        {
            "metric": "sales_amount",
            "period_kind": "quarter",
            "year": 2026,
            "number": 2,
            "level": "company",
            "owner": people["director"].pk,
            "value": "300",
        },
    )
    total = Target.objects.get()
    assert response.status_code == 302
    assert (total.period_start, total.period_end) == (
        datetime.date(2026, 4, 1),
        datetime.date(2026, 6, 30),
    )
    url = reverse("targets:target_decompose", args=[total.pk])
    management = {"new-TOTAL_FORMS": "3", "new-INITIAL_FORMS": "0"}
    row = {
        "new-0-level": "team",
        "new-0-department": people["east"].pk,
        "new-0-owner": people["manager"].pk,
        "new-0-value": "200",
    }
    response = client.post(url, {**management, **row})
    body = response.content.decode()
    assert response.status_code == 200 and "差额 100" in body
    assert not total.children.exists()  # blocked by default
    response = client.post(
        url,
        {
            **management,
            **row,
            "new-1-level": "team",
            "new-1-department": people["north"].pk,
            "new-1-owner": people["other_manager"].pk,
            "new-1-value": "100",
        },
    )
    assert response.status_code == 302
    assert sorted(total.children.values_list("value", flat=True)) == [D("100"), D("200")]
    client.force_login(people["manager"])
    assert client.get(url).status_code == 404


def test_reports_pages_submit_late_and_comment(client, people):
    rep, manager = people["rep"], people["manager"]
    report = rs.report_draft(owner=rep, kind=ReportKind.WEEKLY, day=datetime.date(2025, 9, 17))
    client.force_login(rep)
    url = reverse("targets:report_detail", args=[report.pk])
    response = client.post(url, {"problems": "价格压力", "submit": "1"})
    assert response.status_code == 200 and "逾期原因" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "draft"
    response = client.post(url, {"problems": "价格压力", "late_reason": "系统培训", "submit": "1"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.is_late and report.late_reason == "系统培训" and report.problems == "价格压力"
    client.force_login(manager)
    page = client.get(
        reverse("targets:report_team") + "?kind=weekly&day=2025-09-17"
    ).content.decode()
    assert "逾期提交" in page and "系统培训" in page and str(people["rep_b"]) in page
    client.post(reverse("targets:report_comment", args=[report.pk]), {"body": "注意报价策略"})
    assert report.comments.get().body == "注意报价策略"
    printable = client.get(reverse("targets:report_print", args=[report.pk])).content.decode()
    assert "销售周报" in printable and "注意报价策略" in printable and "data-sf-print" in printable
    client.force_login(people["other_manager"])
    assert client.get(url).status_code == 404


def test_report_start_opens_this_weeks_draft(client, people):
    client.force_login(people["rep"])
    response = client.post(reverse("targets:report_start", args=["weekly"]))
    report = SalesReport.objects.get(owner=people["rep"])
    assert response.status_code == 302 and response["Location"].endswith(f"/{report.pk}/")
    assert report.period_start == rs.week_of(timezone.localdate())[0]


def test_performance_page_and_note(client, people, month_targets):
    _orders(people, n=2)
    client.force_login(people["manager"])
    url = reverse("targets:performance")
    page = client.get(url).content.decode()
    assert str(people["rep"]) in page and str(people["other_rep"]) not in page
    assert 'data-chart="performance-chart"' in page
    start, end = current_period(PeriodKind.MONTH)
    response = client.post(
        url,
        {
            "date_from": start,
            "date_to": end,
            "metric": "sales_amount",
            "dimension": "owner",
            "key": people["rep"].pk,
            "key_label": str(people["rep"]),
            "reason": "客户预算推迟",
            "action": "争取月底前签约",
            "owner": people["rep"].pk,
            "due_date": end,
            "back": url,
        },
    )
    assert response.status_code == 302
    assert PerformanceNote.objects.get().reason == "客户预算推迟"
    assert "客户预算推迟" in client.get(url).content.decode()
    client.force_login(people["rep"])
    assert client.post(url, {"reason": "x"}).status_code == 404


def test_exports(client, people, month_targets):
    client.force_login(people["director"])
    for url in (
        reverse("targets:target_export"),
        reverse("targets:completion") + "?format=xlsx",
        reverse("targets:performance") + "?format=xlsx",
        reverse("targets:report_export"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "spreadsheetml" in response["Content-Type"]
    client.force_login(people["rep"])
    assert client.get(reverse("targets:target_export")).status_code == 404


def test_registered_analyses_compute_for_the_cli(people, month_targets):
    _orders(people, n=1)
    perf = registry.get("performance").compute(people["director"], registry.Params())
    headers, rows = perf.table()
    assert "完成率" in headers and len(rows) == len(perf.rows) + 1  # with the totals
    by_label = {r["label"]: r for r in perf.rows}
    rep_row = by_label[str(people["rep"])]
    assert (rep_row["target"], rep_row["actual"], rep_row["completion"]) == (
        D("400"),
        D("100"),
        D("0.25"),
    )
    assert perf.totals["target"] == D("1000") and perf.totals["actual"] == D("300")
    done = registry.get("targets").compute(people["manager"], registry.Params())
    sales = next(r for r in done.rows if r["key"] == "sales_amount")
    assert (sales["target"], sales["actual"], sales["completion_text"]) == (
        D("600"),
        D("200"),
        "33%",
    )
    empty = next(r for r in done.rows if r["key"] == "repurchase_rate")
    assert empty["target"] is None and empty["completion"] is None


def test_home_cards(client, people, month_targets):
    from salesflow.core.dashboard import cards_for

    _orders(people, n=1)
    labels = {str(c.label): c.value for c in cards_for(people["rep"])}
    assert labels["本月销售目标完成率"] == "25%"
    rs.report_draft(owner=people["rep"], kind=ReportKind.WEEKLY, day=datetime.date(2025, 9, 17))
    labels = {str(c.label): c.value for c in cards_for(people["rep"])}
    assert labels["待提交的周报/月报"] == 1
    assert "待提交的周报/月报" not in {str(c.label) for c in cards_for(people["manager"])}
