from decimal import Decimal

import pytest

from salesflow.analytics import registry


def test_ratio_handles_zero_and_rounds():
    assert registry.ratio(285, 300) == Decimal("0.9500")
    assert registry.ratio(1, 0) is None
    assert registry.ratio(1, None) is None
    assert registry.show(None) == "—"


def test_register_refuses_a_second_analysis_with_the_same_name():
    def compute(user, params):
        return registry.Result(columns=[("a", "A")], rows=[{"a": 1}], totals={"a": 1})

    analysis = registry.Analysis(name="_test_dup", title="t", compute=compute)
    registry.register(analysis)
    registry.register(analysis)  # the same one again is harmless (autoreload)
    with pytest.raises(ValueError):
        registry.register(registry.Analysis(name="_test_dup", title="t", compute=lambda u, p: 0))
    headers, rows = registry.get("_test_dup").compute(None, registry.Params()).table()
    assert headers == ["A"] and rows == [[1], [1]]
    registry._analyses.pop("_test_dup")
