import pytest


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
