"""Navigation entries for the header. Each app registers its own entries in ``AppConfig.ready``,
so that the menu only ever shows modules that exist (no dead links) and only to users who have
the right to open them."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

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


def entries_for(user, group: str = "main") -> list[dict]:
    if user is None or not user.is_authenticated:
        return []
    items = []
    for entry in sorted(_entries, key=lambda e: e.order):
        if entry.group != group:
            continue
        if entry.object_type and not has_right(user, entry.object_type, entry.action):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:  # a module whose pages are not wired yet: no dead link
            continue
        items.append(
            {
                "label": entry.label,
                "url": url,
                "icon": entry.icon,
                "url_name": entry.url_name,
            }
        )
    return items
