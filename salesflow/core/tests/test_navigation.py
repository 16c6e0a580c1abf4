"""The header's dropdowns: entries grouped by the MENUS table, filtered by rights, a dropdown
with one visible entry shown as a plain link, every entry reachable exactly once."""

import pytest

from salesflow.core import navigation

pytestmark = pytest.mark.django_db


def _top_and_children(items):
    top = [i for i in items if not i.get("children")]
    children = [c for i in items if i.get("children") for c in i["children"]]
    return top, children


def test_every_link_appears_once_and_menus_group_their_members(make_user):
    director = make_user("sales_director")
    items = navigation.entries_for(director, "main")
    top, children = _top_and_children(items)
    flat = navigation.flat_entries_for(director, "main")
    assert sorted(i["url_name"] for i in top + children) == sorted(i["url_name"] for i in flat)
    crm = next(i for i in items if i.get("children") and str(i["label"]) == "客户与线索")
    assert {c["url_name"] for c in crm["children"]} >= {"leads:list", "customers:list"}
    assert all(not navigation._matches(i["url_name"], ("leads:", "customers:")) for i in top)


def test_a_menu_with_one_visible_entry_is_a_plain_link(make_user):
    service = make_user("customer_service")  # sees customers but no leads
    items = navigation.entries_for(service, "main")
    names = [i["url_name"] for i in items if not i.get("children")]
    assert "leads:list" not in str(items)
    crm = [i for i in items if i.get("children") and str(i["label"]) == "客户与线索"]
    # 客户 and 公海 when both are visible, otherwise the single link stands alone
    assert crm or "customers:list" in names


def test_the_header_renders_dropdowns(client, make_user):
    client.force_login(make_user("sales_director"))
    html = client.get("/").content.decode()
    assert "客户与线索" in html and 'class="dropdown-item" href="/leads/"' in html
