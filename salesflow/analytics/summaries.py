"""The open-pipeline summary: rebuilt in one transaction from the opportunities, read by the
pipeline totals while it is fresh."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from salesflow.core.settings_registry import get_setting

from .models import OpenPipelineSummary


def pipeline_summary_refresh(now: datetime.datetime | None = None) -> int:
    """Replace the summary with the open opportunities grouped by owner, template version and
    stage (deleted ones excluded). Returns the number of summary rows."""
    from salesflow.pipeline.models import Opportunity, OpportunityStatus

    from .analyses.forecast import weighted

    now = now or timezone.now()
    groups = (
        Opportunity.objects.filter(status=OpportunityStatus.OPEN)
        .values("owner_id", "template_version_id", "stage_id")
        .annotate(n=Count("id"), total=Sum("amount"), weighted_total=Sum(weighted()))
        .order_by()
    )
    rows = [
        OpenPipelineSummary(
            owner_id=g["owner_id"],
            template_version_id=g["template_version_id"],
            stage_id=g["stage_id"],
            opportunities=g["n"],
            amount=g["total"] or 0,
            weighted=g["weighted_total"] or 0,
            refreshed_at=now,
        )
        for g in groups  # one row per (owner, version, stage): bounded by people × stages
    ]
    with transaction.atomic():
        OpenPipelineSummary.objects.all().delete()
        OpenPipelineSummary.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def fresh_summary_time() -> datetime.datetime | None:
    """When the summary was built, if that is recent enough to read it (else None)."""
    minutes = get_setting("analytics.summary_max_age_minutes")
    if not minutes:
        return None
    built = OpenPipelineSummary.objects.aggregate(at=Max("refreshed_at"))["at"]
    if built is None or built < timezone.now() - datetime.timedelta(minutes=minutes):
        return None
    return built
