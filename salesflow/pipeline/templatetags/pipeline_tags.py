"""Template helpers of the pipeline pages: ``{% load pipeline_tags %}``.

- ``{{ amount|yuan }}``: 300000 → ``300,000``; cents only when there are any (``1,234.50``).
- ``{{ amount|wan }}``: 1234567 → ``123.46`` (万元, two decimals, thousands separators; a round
  figure drops ``.00``). The template writes the unit.
- ``{{ hours|hours_text }}``: 2.5 → ``2.5``; trailing zeros dropped.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

CENT = Decimal("0.01")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _grouped(number: Decimal) -> str:
    text = f"{number.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
    return text[:-3] if text.endswith(".00") else text


@register.filter
def yuan(value) -> str:
    number = _decimal(value)
    return "—" if number is None else _grouped(number)


@register.filter
def wan(value) -> str:
    number = _decimal(value)
    return "0" if number is None else _grouped(number / Decimal(10000))


@register.filter
def hours_text(value) -> str:
    number = _decimal(value)
    if number is None:
        return ""
    text = f"{number.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"
    return text[:-2] if text.endswith(".0") else text


@register.filter
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}`` for dicts keyed by ids."""
    if mapping is None:
        return None
    return mapping.get(key)
