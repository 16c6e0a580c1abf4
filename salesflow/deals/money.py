"""Money arithmetic of quotes and receivables: ``Decimal`` only, each line rounded once to the
cent (ROUND_HALF_UP), totals are sums of rounded lines, percentages rounded once for display.

Intermediate products are computed with 50 significant digits, so that no line (price up to
14 digits × quantity up to 10 digits × discount) is ever rounded before its final quantize.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
MAX_MONEY = Decimal("999999999999.99")  # DecimalField(max_digits=14, decimal_places=2)


def cents(value) -> Decimal:
    """``value`` rounded to the cent, half up (the one rounding rule of the module)."""
    with localcontext() as ctx:
        ctx.prec = 50
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    list_amount: Decimal  # list price × quantity
    net_amount: Decimal  # after the line discount — what the customer pays
    cost_amount: Decimal  # standard cost × quantity


def line_amounts(
    *, list_price: Decimal, quantity: Decimal, discount_pct: Decimal, unit_cost: Decimal
) -> LineAmounts:
    with localcontext() as ctx:
        ctx.prec = 50
        gross = list_price * quantity
        net = gross * (HUNDRED - discount_pct) / HUNDRED
        cost = unit_cost * quantity
    return LineAmounts(cents(gross), cents(net), cents(cost))


@dataclass(frozen=True)
class Totals:
    list_total: Decimal
    total: Decimal
    cost_total: Decimal
    max_discount_pct: Decimal

    @property
    def margin_amount(self) -> Decimal:
        return self.total - self.cost_total

    @property
    def margin_pct(self) -> Decimal | None:
        """(total − cost) / total, in percent, unrounded (None for a zero total)."""
        return percent(self.margin_amount, self.total)

    @property
    def discount_pct(self) -> Decimal | None:
        """The overall discount off the list price, in percent, unrounded."""
        return percent(self.list_total - self.total, self.list_total)


def totals(lines: Iterable[tuple[LineAmounts, Decimal]]) -> Totals:
    """Sum already-rounded lines (``(amounts, discount_pct)`` pairs); never re-rounds."""
    list_total = total = cost_total = ZERO
    max_discount = ZERO
    for amounts, discount_pct in lines:
        list_total += amounts.list_amount
        total += amounts.net_amount
        cost_total += amounts.cost_amount
        max_discount = max(max_discount, discount_pct)
    return Totals(list_total, total, cost_total, max_discount)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        return part * HUNDRED / whole


def shown_pct(value: Decimal | None, places: str = "0.1") -> Decimal | None:
    """A percentage rounded once, for display."""
    if value is None:
        return None
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def change_pct(previous: Decimal, current: Decimal) -> Decimal | None:
    """Month-over-month change in percent (None when there was nothing before)."""
    return percent(current - previous, previous) if previous else None


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_SECTIONS = ["", "万", "亿", "万亿"]


def rmb_upper(amount: Decimal) -> str:
    """金额大写 for printed quotes and contracts: 1234.50 → 壹仟贰佰叁拾肆元伍角整."""
    amount = cents(amount)
    if amount < 0:
        return "负" + rmb_upper(-amount)
    yuan = int(amount)
    fen_total = int((amount - yuan) * 100)
    jiao, fen = divmod(fen_total, 10)
    text = _integer_upper(yuan) + "元" if yuan else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan and fen:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    if not text:
        return "零元整"
    return text if fen else text + "整"


def _integer_upper(number: int) -> str:
    sections = []
    while number:
        number, section = divmod(number, 10000)
        sections.append(section)
    text, need_zero = "", False
    for index in range(len(sections) - 1, -1, -1):
        section = sections[index]
        if section == 0:
            need_zero = bool(text)
            continue
        if need_zero or (text and section < 1000):
            text += "零"
        text += _section_upper(section) + _SECTIONS[index]
        need_zero = False
    return text


def _section_upper(section: int) -> str:
    text, zero = "", False
    for position in range(3, -1, -1):
        digit = section // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[digit] + _UNITS[position]
    return text
