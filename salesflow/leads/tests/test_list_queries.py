"""The lead list's query budget: the filter bar and the bulk-assign owner list read their
choices with one plain query each (no server-side cursor round trips), whatever the rows."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from salesflow.leads.models import Lead

from .test_views import login, make_lead, team  # noqa: F401 — the fixture

pytestmark = pytest.mark.django_db

# session, user, session setting, rights, subordinates, owner filter people, collaborations,
# COUNT, page, entry-SLA and due-soon settings, unread notifications, sources, regions,
# assignable people
LIST_QUERIES = 15


@pytest.mark.parametrize("rows", [2, 40])
def test_list_reads_a_fixed_number_of_queries(
    client,
    team,  # noqa: F811 — the fixture imported above
    rows,
    django_assert_max_num_queries,
):
    for index in range(rows):
        make_lead(
            team["rep"] if index % 2 else None,
            company_name=f"公司{index}",
            grade="A" if index % 3 == 0 else "",
            first_contact_due_at=timezone.now() + datetime.timedelta(hours=3),
        )
    client = login(client, team["manager"])
    client.get(reverse("leads:list"))  # per-process caches (content types)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("leads:list") + f"?owner={team['rep'].pk}")
    html = response.content.decode()
    assert html.count('name="ids"') == rows // 2
    # The owner filter keeps its choice, rendered by the Python widget.
    assert f'<option value="{team["rep"].pk}" selected>小王</option>' in html
    assert html.count("SLA") >= 1
    for lead in Lead.objects.filter(owner=team["rep"]):  # row links built once per page
        assert f'href="{reverse("leads:detail", args=[lead.pk])}"' in html
