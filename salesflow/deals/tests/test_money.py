"""Money is Decimal end to end: every line is rounded once to the cent (half up), totals are
sums of the rounded lines and never drift, whatever the lines."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesflow.deals import money, services
from salesflow.deals.models import Product, Quote, QuoteLine
from salesflow.deals.tests.conftest import make_customer
from salesflow.pipeline.models import ProductLine

D = Decimal

prices = st.decimals(min_value=D("0.01"), max_value=D("9999999.99"), places=2)
quantities = st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2)
discounts = st.decimals(min_value=D("0"), max_value=D("100"), places=2)
line = st.tuples(prices, quantities, discounts, prices)


def exact_line(price, quantity, discount):
    """The line amount in exact rational arithmetic, then rounded half up to the cent."""
    value = Fraction(price) * Fraction(quantity) * (100 - Fraction(discount)) / 100
    return _round_fraction(value)


def _round_fraction(value: Fraction) -> Decimal:
    cents = value * 100
    floor = cents.numerator // cents.denominator
    rest = cents - floor
    rounded = floor + (1 if rest >= Fraction(1, 2) else 0)
    return D(rounded) / 100


@settings(max_examples=400, deadline=None)
@given(st.lists(line, min_size=1, max_size=60))
def test_totals_are_sums_of_rounded_lines(lines):
    amounts = [
        (
            money.line_amounts(list_price=p, quantity=q, discount_pct=d, unit_cost=c),
            d,
        )
        for p, q, d, c in lines
    ]
    totals = money.totals(amounts)
    # every line is the exactly computed amount rounded once, half up
    for (p, q, d, _c), (result, _d) in zip(lines, amounts, strict=True):
        assert result.net_amount == exact_line(p, q, d)
        assert result.net_amount == result.net_amount.quantize(money.CENT)
    assert totals.total == sum((r.net_amount for r, _d in amounts), D(0))
    assert totals.list_total == sum((r.list_amount for r, _d in amounts), D(0))
    assert totals.cost_total == sum((r.cost_amount for r, _d in amounts), D(0))
    # no drift: the total differs from the unrounded sum by at most half a cent per line
    exact = sum((Fraction(p) * Fraction(q) * (100 - Fraction(d)) / 100 for p, q, d, _c in lines))
    assert abs(Fraction(totals.total) - exact) <= Fraction(len(lines), 200)
    assert totals.total.as_tuple().exponent == -2
    assert totals.max_discount_pct == max(d for _p, _q, d, _c in lines)


@settings(max_examples=200, deadline=None)
@given(st.lists(line, min_size=1, max_size=30))
def test_order_of_lines_does_not_change_totals(lines):
    def total(rows):
        return money.totals(
            (money.line_amounts(list_price=p, quantity=q, discount_pct=d, unit_cost=c), d)
            for p, q, d, c in rows
        )

    assert total(lines) == total(list(reversed(lines)))


def test_half_cent_rounds_up():
    result = money.line_amounts(
        list_price=D("0.05"), quantity=D("0.10"), discount_pct=D(0), unit_cost=D(0)
    )
    assert result.net_amount == D("0.01")  # 0.005 → 0.01 (half up, not banker's)
    result = money.line_amounts(
        list_price=D("33333.33"), quantity=D("3"), discount_pct=D("12.5"), unit_cost=D("1")
    )
    assert result.net_amount == (D("99999.99") * D("0.875")).quantize(
        D("0.01"), rounding=ROUND_HALF_UP
    )


def test_margin_and_discount_percentages():
    totals = money.totals(
        [
            (
                money.line_amounts(
                    list_price=D("100"),
                    quantity=D("2"),
                    discount_pct=D("10"),
                    unit_cost=D("60"),
                ),
                D("10"),
            )
        ]
    )
    assert totals.total == D("180.00")
    assert totals.margin_amount == D("60.00")
    assert money.shown_pct(totals.margin_pct) == D("33.3")
    assert money.shown_pct(totals.discount_pct) == D("10.0")
    assert money.totals([]).margin_pct is None


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0", "零元整"),
        ("1001", "壹仟零壹元整"),
        ("10.05", "壹拾元零伍分"),
        ("500000", "伍拾万元整"),
        ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        ("100000000", "壹亿元整"),
    ],
)
def test_rmb_upper(amount, text):
    assert money.rmb_upper(D(amount)) == text


# --- through the database -----------------------------------------------------------------------


@pytest.fixture
def quote_env(people):
    line = ProductLine.objects.get(name="智能装备")
    return {"rep": people["rep"], "customer": make_customer(people["rep"]), "line": line}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(line, min_size=1, max_size=25))
def test_stored_quote_total_never_drifts(quote_env, lines):
    """Stored and reloaded, the quote total is the sum of its stored, rounded lines — also
    after the lines are saved again."""
    rep = quote_env["rep"]
    rows = []
    for index, (price, quantity, discount, cost) in enumerate(lines):
        product = Product.objects.create(
            product_line=quote_env["line"],
            name=f"P{Product.objects.count()}-{index}",
            list_price=price,
            standard_cost=cost,
        )
        rows.append({"product": product.pk, "quantity": quantity, "discount_pct": discount})
    quote = services.quote_create(
        actor=rep, customer_id=quote_env["customer"].pk, data={"title": "测试"}, lines=rows
    )
    quote = Quote.objects.get(pk=quote.pk)
    stored = list(QuoteLine.objects.filter(quote=quote))
    assert quote.total == sum((x.amount for x in stored), D(0))
    assert quote.list_total == sum((x.list_amount for x in stored), D(0))
    assert quote.cost_total == sum((x.cost_amount for x in stored), D(0))
    expected = sum((exact_line(p, q, d) for p, q, d, _c in lines), D(0))
    assert quote.total == expected
    services.quote_update(actor=rep, quote_id=quote.pk, data={}, lines=rows)
    assert Quote.objects.get(pk=quote.pk).total == expected
