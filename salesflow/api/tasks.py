"""Background jobs of the API: forget the stored answers of idempotent POSTs after 24 hours."""

import datetime

from django_tasks import task

from salesflow.core.jobs import periodic


@periodic("api.idempotency_purge", every=datetime.timedelta(hours=1))
@task()
def idempotency_purge() -> int:
    """Delete idempotency records older than 24 hours (idempotent)."""
    from .services import idempotency_purge as purge

    return purge()
