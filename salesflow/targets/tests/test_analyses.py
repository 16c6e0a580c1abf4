"""The performance analysis and completion by metric, hand-computed: target, actual, completion,
gap, month-on-month and year-on-year along every dimension; empty periods give "—"."""

import datetime
from decimal import Decimal

from salesflow.analytics.registry import Params
from salesflow.customers.models import Tier
from salesflow.deals.models import OrderStatus
from salesflow.targets import analyses
from salesflow.targets.models import CustomerType, Level, Metric, PeriodKind, Target

from .conftest import customer, opportunity, order, receipt

D = Decimal
MARCH = (datetime.date(2025, 3, 1), datetime.date(2025, 3, 31))


def test_previous_and_last_year_periods():
    assert analyses.previous_period(*MARCH) == (
        datetime.date(2025, 2, 1),
        datetime.date(2025, 2, 28),
    )
    q2 = (datetime.date(2024, 4, 1), datetime.date(2024, 6, 30))
    assert analyses.previous_period(*q2) == (datetime.date(2024, 1, 1), datetime.date(2024, 3, 31))
    ten_days = (datetime.date(2025, 3, 11), datetime.date(2025, 3, 20))
    assert analyses.previous_period(*ten_days) == (
        datetime.date(2025, 3, 1),
        datetime.date(2025, 3, 10),
    )
    leap = (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    assert analyses.year_before(*leap) == (datetime.date(2023, 2, 1), datetime.date(2023, 2, 28))


def _target(owner, value, *, level=Level.COMPANY, metric=Metric.SALES_AMOUNT, **dims):
    return Target.objects.create(
        metric=metric,
        period_kind=PeriodKind.MONTH,
        period_start=MARCH[0],
        period_end=MARCH[1],
        level=level,
        value=D(value),
        owner=owner,
        **dims,
    )


def _data(people, regions, lines):
    """March 2025: rep 300 (华东, line A, key account) + 100 (华东, line B, new customer);
    rep_b 50 (华北, no line, old customer). February: rep 200, rep_b 100. March 2024: rep 150.
    A cancelled March order of rep (999) never counts."""
    rep, rep_b = people["rep"], people["rep_b"]
    east, north = regions["east"], regions["north"]
    key = customer(rep, region=east, first_deal=datetime.date(2020, 1, 1), tier=Tier.KEY)
    new = customer(rep, region=east, first_deal=datetime.date(2025, 3, 5))
    old = customer(rep_b, region=north, first_deal=datetime.date(2021, 1, 1))
    order(rep, key, "300", datetime.date(2025, 3, 3), opp=opportunity(rep, key, lines["A"]))
    order(rep, new, "100", datetime.date(2025, 3, 5), opp=opportunity(rep, new, lines["B"]))
    order(rep_b, old, "50", datetime.date(2025, 3, 31))
    order(rep, key, "200", datetime.date(2025, 2, 14))
    order(rep_b, old, "100", datetime.date(2025, 2, 28))
    order(rep, key, "150", datetime.date(2024, 3, 20))
    order(rep, key, "999", datetime.date(2025, 3, 9), status=OrderStatus.CANCELLED)
    return {"key": key, "new": new, "old": old}


def _rows(result):
    return {row["label"]: row for row in result.rows}


def test_performance_by_salesperson(people, regions, lines):
    _data(people, regions, lines)
    rep, rep_b = people["rep"], people["rep_b"]
    _target(rep, "500", level=Level.PERSON)
    _target(rep_b, "40", level=Level.PERSON)
    result = analyses.performance(
        people["manager"], Params(date_from=MARCH[0], date_to=MARCH[1], group_by="owner")
    )
    rows = _rows(result)
    mine = rows[str(rep)]
    assert (mine["target"], mine["actual"], mine["completion"], mine["gap"]) == (
        D("500"),
        D("400"),
        D("0.8000"),
        D("-100"),
    )
    assert (mine["previous"], mine["mom"]) == (D("200"), D("1.0000"))  # 400 / 200 − 1
    assert (mine["last_year"], mine["yoy"]) == (D("150"), D("1.6667"))  # 400 / 150 − 1
    theirs = rows[str(rep_b)]
    assert (theirs["completion"], theirs["mom"], theirs["yoy"]) == (D("1.2500"), D("-0.5000"), None)
    assert result.totals["actual"] == D("450") and result.totals["previous"] == D("300")
    assert result.totals["mom"] == D("0.5000")
    assert [r["label"] for r in result.rows] == [str(rep), str(rep_b)]  # biggest first
    assert result.chart["series"][1]["data"] == [400.0, 50.0]


def test_performance_by_region_product_line_and_customer_type(people, regions, lines):
    _data(people, regions, lines)
    director = people["director"]
    _target(director, "500", region=regions["east"])
    _target(director, "250", product_line=lines["A"])
    _target(director, "200", customer_type=CustomerType.KEY)
    params = {"date_from": MARCH[0], "date_to": MARCH[1]}

    by_region = _rows(analyses.performance(director, Params(**params, group_by="region")))
    assert by_region["华东"]["actual"] == D("400") and by_region["华东"]["completion"] == D("0.8")
    assert by_region["华北"]["target"] is None and by_region["华北"]["completion"] is None

    by_line = _rows(analyses.performance(director, Params(**params, group_by="product_line")))
    assert (by_line["A产品线"]["actual"], by_line["A产品线"]["completion"]) == (D("300"), D("1.2"))
    assert by_line["B产品线"]["actual"] == D("100")
    assert by_line["未指定"]["actual"] == D("50")  # an order without an opportunity

    by_type = _rows(analyses.performance(director, Params(**params, group_by="customer_type")))
    assert by_type["重点客户"]["actual"] == D("300")
    assert by_type["重点客户"]["completion"] == D("1.5")
    assert by_type["新客户"]["actual"] == D("100")
    assert by_type["老客户"]["actual"] == D("50")
    # February: the same key account is old there, the "new" customer had not ordered yet
    assert by_type["重点客户"]["previous"] == D("200") and by_type["老客户"]["previous"] == D("100")


def test_performance_of_collections_and_order_counts(people, regions, lines):
    data = _data(people, regions, lines)
    receipt(people["rep"], data["key"], "120", datetime.date(2025, 3, 10))
    receipt(people["rep"], data["key"], "80", datetime.date(2025, 2, 10))
    base = {"date_from": MARCH[0], "date_to": MARCH[1], "group_by": "owner"}
    collected = _rows(
        analyses.performance(people["director"], Params(**base, extra={"metric": "collected"}))
    )
    assert collected[str(people["rep"])]["actual"] == D("120")
    assert collected[str(people["rep"])]["mom"] == D("0.5000")
    counts = _rows(
        analyses.performance(people["director"], Params(**base, extra={"metric": "order_count"}))
    )
    assert counts[str(people["rep"])]["actual"] == 2 and counts[str(people["rep_b"])]["actual"] == 1


def test_empty_period_has_no_rows_and_dashes(people):
    result = analyses.performance(people["director"], Params(date_from=MARCH[0], date_to=MARCH[1]))
    assert result.rows == [] and result.chart is None
    assert result.totals["completion"] is None and result.totals["mom"] is None
    done = analyses.completion_by_metric(
        people["director"], Params(date_from=MARCH[0], date_to=MARCH[1])
    )
    assert all(r["completion_text"] == "—" for r in done.rows) and done.chart is None


def test_completion_by_metric_for_a_rep(people, regions, lines):
    _data(people, regions, lines)
    rep = people["rep"]
    _target(rep, "800", level=Level.PERSON)
    _target(rep, "4", level=Level.PERSON, metric=Metric.ORDER_COUNT)
    _target(people["director"], "2000")  # the company's: not the rep's to see
    done = {
        r["key"]: r
        for r in analyses.completion_by_metric(
            rep, Params(date_from=MARCH[0], date_to=MARCH[1])
        ).rows
    }
    assert (done["sales_amount"]["target"], done["sales_amount"]["actual"]) == (D("800"), D("400"))
    assert done["sales_amount"]["completion_text"] == "50%"
    assert done["order_count"]["completion_text"] == "50%"  # 2 of 4
