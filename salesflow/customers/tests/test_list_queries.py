"""The customer list's query budget: the filter bar and the bulk-assign owner list read their
choices with one plain query each (no server-side cursor round trips), whatever the rows."""

import pytest
from django.urls import reverse

from .test_views import login, new_customer, org  # noqa: F401 — the fixture

pytestmark = pytest.mark.django_db

# session, user, session setting, rights, subordinates, owner filter people, collaborations,
# COUNT, page, primary contacts, unread notifications, industries, regions, owner choices,
# assignable people
LIST_QUERIES = 15


@pytest.mark.parametrize("rows", [2, 30])
def test_list_reads_a_fixed_number_of_queries(
    client,
    org,  # noqa: F811 — the fixture imported above
    rows,
    django_assert_max_num_queries,
):
    for index in range(rows):
        new_customer(
            org["rep"] if index % 2 else org["rep2"],
            f"客户{index}",
            contacts=[{"name": f"联系人{index}", "phone": f"138000000{index:02d}"}],
        )
    client = login(client, org["manager"])
    client.get(reverse("customers:list"))
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("customers:list") + "?in_pool=0")
    html = response.content.decode()
    assert html.count('name="ids"') == rows
    assert '<option value="0" selected>有负责人</option>' in html
