from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "salesflow.core"
    label = "core"
    verbose_name = _("系统核心")

    def ready(self) -> None:
        from . import checks, dashboard, navigation, signals, tasks  # noqa: F401

        for entry in (
            navigation.NavEntry(_("首页"), "home", "bi-house", order=0),
            navigation.NavEntry(
                _("系统设置"),
                "core:settings",
                "bi-sliders",
                "core.setting",
                group="admin",
                order=20,
            ),
            navigation.NavEntry(
                _("工作日历"),
                "core:calendar",
                "bi-calendar3",
                "core.calendar",
                group="admin",
                order=30,
            ),
            navigation.NavEntry(
                _("回收站"),
                "core:recycle_bin",
                "bi-trash3",
                "core.recycle",
                group="admin",
                order=50,
            ),
            navigation.NavEntry(
                _("审计日志"),
                "core:audit_log",
                "bi-journal-text",
                "core.audit",
                group="admin",
                order=40,
            ),
        ):
            navigation.register(entry)
        dashboard.register(_admin_cards)


def _admin_cards(user):
    from django.urls import reverse
    from django.utils import timezone

    from salesflow.org.models import Department, User

    from .dashboard import Card
    from .models import AuditEntry
    from .scope import has_right

    cards = []
    if has_right(user, "org.user", "view"):
        cards.append(
            Card(
                _("在职用户"),
                User.objects.filter(is_active=True).count(),
                reverse("org:overview"),
                tone="primary",
            )
        )
        cards.append(
            Card(
                _("部门"),
                Department.objects.filter(is_active=True).count(),
                reverse("org:overview"),
                tone="secondary",
            )
        )
    if has_right(user, "core.audit", "view"):
        today = timezone.localdate()
        cards.append(
            Card(
                _("今日审计记录"),
                AuditEntry.objects.filter(at__date=today).count(),
                reverse("core:audit_log") + f"?from={today:%Y-%m-%d}",
                tone="secondary",
            )
        )
    return cards
