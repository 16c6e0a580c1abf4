"""What the analytics module plugs into the shared kernel at start-up: its analyses, the one
navigation entry "分析" and the SQLite percentile function (imported with ``base``)."""

from django.utils.translation import gettext_lazy as _


def connect() -> None:
    from salesflow.core import navigation

    from . import analyses, base, tasks  # noqa: F401  (analyses, DB functions, periodic job)

    navigation.register(
        navigation.NavEntry(_("分析"), "analytics:dashboard", "bi-graph-up", "report", order=80)
    )
