"""Money and percentage helpers shared by the scorecards, statements and contests."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def two(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def check_period(date_from: datetime.date, date_to: datetime.date) -> None:
    from django.utils.translation import gettext as _

    from salesflow.core.errors import ValidationError

    if date_from is None or date_to is None or date_from > date_to:
        raise ValidationError({"period": _("请选择有效的期间（开始日期不晚于结束日期）。")})
