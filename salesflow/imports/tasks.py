"""Background imports: a large file runs in the worker (``manage.py run_worker``)."""

from django_tasks import task


@task()
def run_import(run_id: int) -> str:
    """Run a queued import (idempotent: a run that is no longer queued is left alone)."""
    from .engine import execute_run
    from .models import ImportRun, RunStatus

    updated = ImportRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING
    )
    if not updated:
        return "not queued"
    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    run.status = RunStatus.QUEUED
    return execute_run(run).status
