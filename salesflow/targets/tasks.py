"""Periodic jobs of the targets module (idempotent: every reminder is sent once per key)."""

import datetime

from django_tasks import task

from salesflow.core.jobs import periodic


@periodic("targets.reports", every=datetime.timedelta(hours=1))
@task()
def report_sweep() -> dict:
    """Draft the weekly/monthly reports from the data, remind reps before the due time and
    reps and their managers of missing ones."""
    from .report_services import sweep

    return sweep()


@periodic("targets.checkpoint", at=datetime.time(9, 0))
@task()
def target_checkpoint() -> int:
    """Remind target owners of the tracking checkpoint (default monthly, by the 5th)."""
    from .checkpoints import checkpoint_sweep

    return checkpoint_sweep()
