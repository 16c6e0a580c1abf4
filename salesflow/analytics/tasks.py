import datetime

from django_tasks import task

from salesflow.core.jobs import periodic


@periodic("analytics.pipeline_summary", every=datetime.timedelta(minutes=5))
@task()
def refresh_pipeline_summary() -> int:
    """Rebuild the open-pipeline summary read by the pipeline totals."""
    from .summaries import pipeline_summary_refresh

    return pipeline_summary_refresh()
