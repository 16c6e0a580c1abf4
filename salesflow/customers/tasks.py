import datetime

from django_tasks import task

from salesflow.core.jobs import periodic

from . import services


@periodic("customers.pool_recycle", at=datetime.time(2, 0))
@task()
def pool_recycle() -> int:
    """Nightly: customers without a follow-up for N days return to their 公海 (idempotent)."""
    return services.pool_recycle()
