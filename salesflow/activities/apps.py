from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "salesflow.activities"
    label = "activities"
    verbose_name = _("跟进与任务")

    def ready(self) -> None:
        from salesflow.core import events, navigation

        from . import cadence, tasks  # noqa: F401  (tasks registers the periodic jobs)

        # A changed intent, grade or owner moves the next due follow-up at once.
        events.subscribe("lead.screened", lambda lead_id: cadence.recompute_lead(lead_id))
        events.subscribe(
            "customer.changed", lambda customer_id: cadence.recompute_customer(customer_id)
        )

        for entry in (
            navigation.NavEntry(
                _("我的今天"), "activities:my_day", "bi-sun", "followup", "view", order=5
            ),
            navigation.NavEntry(
                _("跟进记录"), "activities:followups", "bi-chat-dots", "followup", order=35
            ),
            navigation.NavEntry(
                _("任务"), "activities:tasks", "bi-check2-square", "task", order=40
            ),
            # Managers review their team weekly; the right that marks a reviewer is exporting
            # the team's follow-ups (managers and directors have it, reps do not).
            navigation.NavEntry(
                _("周度检查"),
                "activities:weekly_review",
                "bi-clipboard-data",
                "followup",
                "export",
                order=45,
            ),
        ):
            navigation.register(entry)
        navigation.register(
            navigation.NavEntry(
                _("发送失败的消息"),
                "activities:failed_deliveries",
                "bi-exclamation-octagon",
                "org.user",
                "change",
                group="admin",
                order=60,
            )
        )
