import datetime

from django import template
from django.utils.formats import number_format

from salesflow.analytics.registry import EMPTY

register = template.Library()


@register.filter
def cell(row, key):
    """One table cell of an analysis row: None → "—"; numbers with thousands separators."""
    value = row.get(key) if isinstance(row, dict) else None
    if value is None or value == "":
        return EMPTY if value is None else ""
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) or hasattr(value, "quantize"):
        return number_format(value, force_grouping=True)
    return value
