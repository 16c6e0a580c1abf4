"""The REST API: one NinjaAPI under /api/v1/, a router per domain, errors mapped once.

Authentication: a personal access token (``Authorization: Bearer sf_…``) or the browser
session (CSRF checked on writes). Operations act as that user, through the same services,
rights and data scope as the pages. See docs/api.md.
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from .auth import SessionAuth, TokenAuth
from .docs import LocalSwagger
from .errors import register_error_handlers, reshape_validation_items
from .idempotency import idempotency_layer
from .routers import activities, customers, deals, leads, opportunities

DESCRIPTION = """
salesflow 销售流程管理系统的开放接口。

* 认证：个人访问令牌 `Authorization: Bearer sf_…`（在 /api/tokens/ 创建，只显示一次），
  或浏览器登录会话（写操作须带 `X-CSRFToken`）。接口以令牌所属用户的身份、权限和数据范围执行。
* 列表按 `-id` 排序，游标分页：`?limit=`（最多 200）与 `?cursor=`（上一页的 `next_cursor`）。
* 单条记录返回 `ETag`；修改、删除及动作可带 `If-Match`，记录已变化时返回 412。
* POST 可带 `Idempotency-Key`，24 小时内重复提交返回第一次的结果。
* 每个令牌每分钟的请求数有上限（系统设置 `api.rate_limit_per_minute`），超出返回 429 与 `Retry-After`。
* 输入错误返回 422：`{"detail": [{"loc": ["body", "字段"], "msg": "…", "type": "…"}]}`。

Full guide (Chinese and English): docs/api.md.
"""


class SalesflowAPI(NinjaAPI):
    def validation_error_from_error_contexts(self, error_contexts):
        error = super().validation_error_from_error_contexts(error_contexts)
        error.errors = reshape_validation_items(error.errors)
        return error


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8 rather than \\u escapes (readable in curl and logs)."""

    json_dumps_params = {"ensure_ascii": False}


AUTHENTICATORS = [TokenAuth(), SessionAuth()]

api = SalesflowAPI(
    title="salesflow API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-1",
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=AUTHENTICATORS,
    renderer=Utf8JSONRenderer(),
)
register_error_handlers(api)
api.add_decorator(idempotency_layer(api, AUTHENTICATORS), mode="view")
api.add_router("", leads.router)
api.add_router("", customers.router)
api.add_router("", opportunities.router)
api.add_router("", activities.router)
api.add_router("", deals.router)
