import pytest


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests (live server, real transactions) start from a database that an
    earlier one may have flushed: put the migrations' reference data back first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"live_server", "transactional_db"} & set(request.fixturenames)
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        from salesflow.core.testing import ensure_reference_data

        ensure_reference_data()


@pytest.fixture
def make_user(db):
    """``make_user("sales_rep", department=d, manager=m)`` → a user holding those roles."""
    from salesflow.org.tests.factories import UserFactory

    def make(*roles, **fields):
        return UserFactory(roles=list(roles), **fields)

    return make


@pytest.fixture
def make_department(db):
    from salesflow.org.tests.factories import DepartmentFactory

    def make(name, parent=None, **fields):
        return DepartmentFactory(name=name, parent=parent, **fields)

    return make


@pytest.fixture
def wins_without_contract(make_user):
    """Switch off ``deal.win_requires_contract`` (a company that closes deals outside the
    contract module): for tests of the pipeline's own win rules; the contract rule itself is
    tested with the setting on in salesflow/deals/tests/test_win_rule.py."""
    from salesflow.core.services import setting_change

    setting_change(
        actor=make_user("admin"),
        key="deal.win_requires_contract",
        value=False,
        reason="只测试商机流程本身的赢单规则",
    )
