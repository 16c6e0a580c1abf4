"""What the import module plugs into the shared kernel at start-up: its one navigation entry
(under 系统管理) and its background task."""

from django.utils.translation import gettext_lazy as _


def connect() -> None:
    from salesflow.core import navigation

    # Shown to everyone signed in; the page lists only what the user may import.
    navigation.register(navigation.NavEntry(_("数据导入"), "imports:index", "bi-upload", order=90))
    from . import tasks  # noqa: F401  (background imports)
