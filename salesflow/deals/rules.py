"""Rules of payment collection as plain functions of numbers and dates."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    min_days: int  # days overdue, inclusive
    max_days: int | None  # inclusive; None = no upper bound


#: Receivables aging (账龄) by days past the due date. A plan due today is 0 days overdue and
#: sits in the first bucket; a plan not yet due is in no bucket.
BUCKETS = [
    Bucket("0-30", _("0–30天"), 0, 30),
    Bucket("31-60", _("31–60天"), 31, 60),
    Bucket("61-90", _("61–90天"), 61, 90),
    Bucket("90+", _("90天以上"), 91, None),
]
BUCKET_KEYS = [b.key for b in BUCKETS]
NOT_DUE = "not_due"


def days_overdue(due_date: datetime.date, today: datetime.date) -> int:
    return (today - due_date).days


def aging_bucket(days: int) -> str:
    """The bucket key for ``days`` past due (negative: not due yet)."""
    for bucket in BUCKETS:
        if days >= bucket.min_days and (bucket.max_days is None or days <= bucket.max_days):
            return bucket.key
    return NOT_DUE


def due_range(key: str, today: datetime.date) -> tuple[datetime.date | None, datetime.date]:
    """The due dates ``(earliest or None, latest)`` (both inclusive) of a bucket on ``today``,
    for filtering in the database with the same boundaries as ``aging_bucket``."""
    bucket = next(b for b in BUCKETS if b.key == key)
    latest = today - datetime.timedelta(days=bucket.min_days)
    earliest = None if bucket.max_days is None else today - datetime.timedelta(days=bucket.max_days)
    return earliest, latest


def bucket_label(key: str) -> str:
    if key == NOT_DUE:
        return str(_("未到期"))
    return str(next(b.label for b in BUCKETS if b.key == key))
