import pytest


@pytest.fixture(autouse=True)
def _pipeline_rules_only(wins_without_contract):
    """The pipeline's tests exercise its own rules; winning with the deals module's contract
    rule on is tested in ``salesflow/deals/tests/test_win_rule.py``."""
