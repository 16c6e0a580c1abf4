"""Pages, exports, the report command and bounded query counts."""

import datetime
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from salesflow.analytics import registry
from salesflow.analytics.registry import Params
from salesflow.core.models import AuditEntry
from salesflow.pipeline.models import OpportunityStatus, StageEvent

from .conftest import make_leads

pytestmark = pytest.mark.django_db
OURS = (
    "funnel",
    "kpis",
    "win_rate",
    "stage_sla",
    "cac",
    "stage_time",
    "stage_repeats",
    "skip_outcomes",
    "forecast",
    "pipeline_totals",
    "people",
)
QUERY = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def fill(people, build, n):
    """``n`` opportunities per rep with a few events each, plus leads."""
    K = StageEvent.Kind
    for owner in (people["rep"], people["rep2"]):
        make_leads(owner, n * 2, "2026-03-02")
        for i in range(n):
            build.opportunity(
                owner,
                created="2026-03-03",
                stage="solution",
                status=OpportunityStatus.WON if i % 3 == 0 else OpportunityStatus.OPEN,
                closed="2026-03-25" if i % 3 == 0 else None,
                expected_close=datetime.date(2026, 3 + i % 4, 10),
                path=[
                    (K.ADVANCE, "needs_analysis", "2026-03-05", 2, 48),
                    (K.ADVANCE, "solution", "2026-03-09", 1, 30),
                ],
            )


@pytest.mark.parametrize("name", OURS)
def test_every_page_renders_chart_and_table(client, people, build, name):
    fill(people, build, 2)
    client.force_login(people["manager"])
    response = client.get(reverse("analytics:analysis", args=[name]), QUERY)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-chart="analysis-main"' in body and "<table" in body


def test_dashboards_per_role(client, people, build):
    fill(people, build, 1)
    expected = {"rep": "rep", "manager": "manager", "director": "director"}
    for who, kind in expected.items():
        client.force_login(people[who])
        body = client.get(reverse("analytics:dashboard")).content.decode()
        assert f'data-dashboard="{kind}"' in body
    client.force_login(people["manager"])
    body = client.get(reverse("analytics:dashboard")).content.decode()
    assert 'id="panel-people"' in body and people["rep"].display_name in body
    assert people["rep2"].display_name not in body


def test_index_lists_analyses_and_related_pages_embed(client, people):
    client.force_login(people["director"])
    body = client.get(reverse("analytics:index")).content.decode()
    for name in OURS:
        assert reverse("analytics:analysis", args=[name]) in body
    body = client.get(reverse("analytics:analysis", args=["kpis"])).content.decode()
    assert 'id="related-win_rate"' in body
    if "complaint_rate" in {a.name for a in registry.all_analyses()}:
        assert 'id="related-complaint_rate"' in body


def test_xlsx_export_matches_the_result_and_is_audited(client, people, build):
    fill(people, build, 2)
    client.force_login(people["manager"])
    response = client.get(
        reverse("analytics:analysis", args=["funnel"]), {**QUERY, "format": "xlsx"}
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    result = registry.get("funnel").compute(
        people["manager"], Params(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    )
    headers, rows = result.table()
    assert cells[0] == headers
    assert [r[1] for r in cells[1:]] == [r[1] for r in rows] == [4, 2, 1]
    assert cells[1][2] == "—"  # no conversion for the first step
    assert AuditEntry.objects.filter(action="report.export").exists()
    # a rep has no export right: not found
    client.force_login(people["rep"])
    response = client.get(reverse("analytics:analysis", args=["funnel"]), {"format": "xlsx"})
    assert response.status_code == 404


def test_unknown_analysis_and_users_without_the_right_get_404(client, people, make_user):
    client.force_login(people["director"])
    assert client.get(reverse("analytics:analysis", args=["nope"])).status_code == 404
    client.force_login(make_user("product_expert", username="expert"))
    assert client.get(reverse("analytics:analysis", args=["funnel"])).status_code == 404
    assert client.get(reverse("analytics:dashboard")).status_code == 404


def test_variance_form_and_channel_costs_pages(client, people):
    client.force_login(people["manager"])
    response = client.post(
        reverse("analytics:variance_create"),
        {
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
            "step": "won",
            "reason": "报价偏高",
            "action": "调整折扣策略",
            "owner": people["rep"].pk,
            "due_date": "2026-04-30",
            "status": "open",
        },
    )
    assert response.status_code == 302
    assert "报价偏高" in client.get(reverse("analytics:variance_list")).content.decode()
    client.force_login(people["rep"])
    assert client.get(reverse("analytics:variance_create")).status_code == 404
    assert client.post(reverse("analytics:channel_costs"), {}).status_code == 404
    client.force_login(people["director"])
    from salesflow.leads.models import LeadSource

    source = LeadSource.objects.order_by("id").first()
    response = client.post(
        reverse("analytics:channel_costs"),
        {"channel": source.pk, "month": "2026-03", "marketing_cost": "1200", "sales_cost": "300"},
    )
    assert response.status_code == 302
    from salesflow.analytics.models import ChannelCost

    cost = ChannelCost.objects.get()
    assert cost.month == datetime.date(2026, 3, 1) and cost.total == Decimal("1500")


@pytest.mark.parametrize("name", OURS)
def test_query_count_does_not_grow_with_the_data(
    client, people, build, name, django_assert_max_num_queries
):
    client.force_login(people["manager"])
    url = reverse("analytics:analysis", args=[name])
    fill(people, build, 2)
    with django_assert_max_num_queries(60) as small:
        assert client.get(url, QUERY).status_code == 200
    fill(people, build, 25)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url, QUERY).status_code == 200


def test_dashboard_query_count_is_bounded(client, people, build, django_assert_max_num_queries):
    client.force_login(people["manager"])
    fill(people, build, 2)
    with django_assert_max_num_queries(60) as small:
        client.get(reverse("analytics:dashboard"))
    fill(people, build, 25)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("analytics:dashboard"))


def test_report_command_prints_what_the_page_shows(people, build, tmp_path):
    fill(people, build, 3)
    out = io.StringIO()
    call_command(
        "report",
        "funnel",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--user",
        "mgr",
        stdout=out,
    )
    payload = json.loads(out.getvalue())
    result = registry.get("funnel").compute(
        people["manager"], Params(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    )
    assert [r["count"] for r in payload["rows"]] == [r["count"] for r in result.rows]
    assert [r["conversion"] for r in payload["rows"]] == [
        None if r["conversion"] is None else str(r["conversion"]) for r in result.rows
    ]
    # default user: company scope (the director here)
    out = io.StringIO()
    call_command("report", "funnel", "--from", "2026-03-01", "--to", "2026-03-31", stdout=out)
    assert json.loads(out.getvalue())["rows"][1]["count"] == 6
    # csv and xlsx; group-by and options
    out = io.StringIO()
    call_command(
        "report",
        "win_rate",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--group-by",
        "owner",
        "--format",
        "csv",
        stdout=out,
    )
    assert "赢单率" in out.getvalue() and people["rep2"].display_name in out.getvalue()
    target = tmp_path / "funnel.xlsx"
    call_command(
        "report",
        "funnel",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--option",
        "detail=stages",
        "--format",
        "xlsx",
        "--output",
        str(target),
    )
    sheet = openpyxl.load_workbook(target).active
    assert next(c.value for c in next(sheet.iter_rows())) == "环节"
    assert sheet.max_row == 7  # 线索 + 4 stages + 赢单 + header
    out = io.StringIO()
    call_command("report", "--list", stdout=out)
    assert all(name in out.getvalue() for name in OURS)
