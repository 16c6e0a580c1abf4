"""Navigation entries for the header. Each app registers its own entries in ``AppConfig.ready``,
so that the menu only ever shows modules that exist (no dead links) and only to users who have
the right to open them."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .scope import has_right


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    icon: str = ""
    object_type: str | None = None
    action: str = "view"
    group: str = "main"  # main | admin
    order: int = 100


_entries: list[NavEntry] = []


def register(entry: NavEntry) -> None:
    if all(e.url_name != entry.url_name for e in _entries):
        _entries.append(entry)


@dataclass(frozen=True)
class Menu:
    """A dropdown of the header grouping the entries whose url name starts with one of
    ``members`` (a "namespace:" prefix or a full url name)."""

    key: str
    label: str
    icon: str
    order: int
    members: tuple[str, ...]


# The information architecture of the header, in one place: a module registers its entries
# and this table says under which dropdown they appear (a dropdown with a single entry the user
# may open is shown as a plain link). Entries of ADMIN_MEMBERS go to the 系统管理 dropdown.
MENUS = (
    Menu("crm", _("客户与线索"), "bi-people", 10, ("leads:", "customers:")),
    Menu("pipeline", _("商机"), "bi-kanban", 30, ("pipeline:",)),
    Menu(
        "work",
        _("跟进与任务"),
        "bi-journal-check",
        35,
        ("activities:followups", "activities:tasks", "activities:weekly_review"),
    ),
    Menu("deals", _("成交与回款"), "bi-cash-stack", 50, ("deals:",)),
    Menu(
        "insight",
        _("分析与规划"),
        "bi-bar-chart-line",
        80,
        ("analytics:", "targets:", "planning:", "pilots:", "incentives:"),
    ),
)
ADMIN_MEMBERS = ("imports:",)


def _matches(url_name: str, members: tuple[str, ...]) -> bool:
    return any(url_name == m or (m.endswith(":") and url_name.startswith(m)) for m in members)


def _menu_of(url_name: str) -> Menu | None:
    return next((menu for menu in MENUS if _matches(url_name, menu.members)), None)


def _group_of(entry: NavEntry) -> str:
    return "admin" if _matches(entry.url_name, ADMIN_MEMBERS) else entry.group


def _links(user, group: str) -> list[tuple[NavEntry, dict]]:
    links = []
    for entry in sorted(_entries, key=lambda e: e.order):
        if _group_of(entry) != group:
            continue
        if entry.object_type and not has_right(user, entry.object_type, entry.action):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:  # a module whose pages are not wired yet: no dead link
            continue
        links.append(
            (
                entry,
                {
                    "label": entry.label,
                    "url": url,
                    "icon": entry.icon,
                    "url_name": entry.url_name,
                },
            )
        )
    return links


def entries_for(user, group: str = "main") -> list[dict]:
    """The header's items for ``user``: links, and for the main group dropdowns
    (``{"label", "icon", "url_name": "", "children": [links]}``) in menu order."""
    if user is None or not user.is_authenticated:
        return []
    links = _links(user, group)
    if group != "main":
        return [item for _entry, item in links]
    placed: list[tuple[int, dict]] = []
    menus: dict[str, dict] = {}
    for entry, item in links:
        menu = _menu_of(entry.url_name)
        if menu is None:
            placed.append((entry.order, item))
            continue
        if menu.key not in menus:
            menus[menu.key] = {
                "label": menu.label,
                "icon": menu.icon,
                "url_name": "",
                "children": [],
            }
            placed.append((menu.order, menus[menu.key]))
        menus[menu.key]["children"].append(item)
    items = []
    for _order, item in sorted(placed, key=lambda pair: pair[0]):
        children = item.get("children")
        items.append(children[0] if children is not None and len(children) == 1 else item)
    return items


def flat_entries_for(user, group: str = "main") -> list[dict]:
    """Every link of ``group`` without the dropdowns (tests, site maps)."""
    if user is None or not user.is_authenticated:
        return []
    return [item for _entry, item in _links(user, group)]
