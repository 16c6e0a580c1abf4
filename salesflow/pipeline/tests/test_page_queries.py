"""Query budgets of the board, its columns and the list: fixed, whatever the number of cards
or rows (the board's totals are one GROUP BY; the list's page is one query with its ids as a
sub-query; a column reads its version's stages once)."""

import pytest
from django.urls import reverse

from .test_views import column_url, customer_for, new_opp, people  # noqa: F401 — fixture

pytestmark = pytest.mark.django_db

# session, user, session setting, rights, current versions, collaborations, older versions,
# owner and team choices, stages, totals, unread notifications
BOARD = 12
# session, user, session setting, rights, version, stages, collaborations, cards, approved
# skips
COLUMN = 9
# session, user, session setting, rights, owner and team choices, collaborations, COUNT,
# page, unread notifications, due-soon setting
LIST = 11


@pytest.mark.parametrize("cards", [1, 30])
def test_board_column_and_list_query_budgets(
    client,
    people,  # noqa: F811 — the fixture imported above
    cards,
    django_assert_max_num_queries,
):
    rep = people["rep"]
    customer = customer_for(rep)
    opps = [
        new_opp(rep, customer=customer, name=f"商机{n}", amount=str(1000 + n)) for n in range(cards)
    ]
    client.force_login(rep)
    pages = {
        "board": (reverse("pipeline:board"), BOARD, {}),
        "column": (column_url("initial_contact"), COLUMN, {"HTTP_HX_REQUEST": "true"}),
        "list": (reverse("pipeline:list"), LIST, {}),
    }
    for name, (url, budget, headers) in pages.items():
        client.get(url, **headers)  # per-process caches (content types)
        with django_assert_max_num_queries(budget):
            response = client.get(url, **headers)
        assert response.status_code == 200, name
    html = client.get(pages["column"][0], HTTP_HX_REQUEST="true").content.decode()
    assert html.count("data-opp-id=") == cards
    listing = client.get(reverse("pipeline:list")).content.decode()
    assert listing.count("商机") >= cards
    for opp in opps:  # row and card links, built once per page
        detail = reverse("pipeline:detail", args=[opp.pk])
        assert f'href="{detail}"' in listing and f'href="{detail}"' in html
        assert reverse("pipeline:move", args=[opp.pk]) in html
        assert reverse("pipeline:advance", args=[opp.pk]) in html
    if cards > 1:  # newest first, as before the page read its ids separately
        assert listing.index(f"商机{cards - 1}<") < listing.index("商机0<")
