"""Daily job of the pilots module (idempotent)."""

import datetime

from django_tasks import task

from salesflow.core.jobs import periodic

from . import services


@periodic("pilots.status", at=datetime.time(0, 10))
@task()
def refresh_pilot_statuses() -> int:
    """Planned pilots start and running ones finish with their period."""
    return services.refresh_statuses()
