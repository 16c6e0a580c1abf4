import json
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from salesflow.api import services

PHONE, PHONE_MASKED = "13812345678", "138****5678"
EMAIL, EMAIL_MASKED = "zhang.san@example.cn", "z***@example.cn"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit windows live in the (process-local) cache: start every test from zero."""
    cache.clear()
    yield
    cache.clear()


class ApiClient:
    """The Django test client speaking JSON with a bearer token."""

    def __init__(self, client, secret: str | None):
        self.client = client
        self.secret = secret

    def _headers(self, headers):
        result = dict(headers or {})
        if self.secret:
            result.setdefault("Authorization", f"Bearer {self.secret}")
        return result

    def get(self, path, params=None, headers=None):
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def _send(self, method, path, body, headers):
        payload = body if isinstance(body, str | bytes) else json.dumps(body)
        return getattr(self.client, method)(
            path, payload, content_type="application/json", headers=self._headers(headers)
        )

    def post(self, path, body=None, headers=None):
        return self._send("post", path, {} if body is None else body, headers)

    def patch(self, path, body=None, headers=None):
        return self._send("patch", path, {} if body is None else body, headers)

    def delete(self, path, headers=None):
        return self.client.delete(path, headers=self._headers(headers))


@pytest.fixture
def token_for(db):
    def make(user, scopes=("read", "write"), **kwargs) -> str:
        _token, secret = services.token_create(
            actor=user, name="测试令牌", scopes=list(scopes), **kwargs
        )
        return secret

    return make


@pytest.fixture
def api_as(client, token_for):
    """``api_as(user)`` → an ApiClient authenticated with a fresh read-write token."""

    def make(user, scopes=("read", "write")):
        return ApiClient(client, token_for(user, scopes))

    return make


@pytest.fixture
def org(make_user, make_department):
    """A director over two teams: east (manager + rep) and north (a rep outside the east
    manager's scope); an administrator; marketing."""
    company = make_department("测试公司")
    sales = make_department("销售中心", parent=company)
    east = make_department("华东区", parent=sales)
    north = make_department("华北区", parent=sales)
    director = make_user("sales_director", department=sales, display_name="周总监")
    manager = make_user("sales_manager", department=east, manager=director, display_name="王经理")
    rep = make_user("sales_rep", department=east, manager=manager, display_name="陈一")
    north_manager = make_user(
        "sales_manager", department=north, manager=director, display_name="刘经理"
    )
    outsider = make_user(
        "sales_rep", department=north, manager=north_manager, display_name="赵北方"
    )
    admin = make_user("admin", department=company, display_name="管理员")
    return SimpleNamespace(
        director=director,
        manager=manager,
        rep=rep,
        north_manager=north_manager,
        outsider=outsider,
        admin=admin,
    )
