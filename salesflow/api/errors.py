"""Every error of the API, mapped once: the typed errors of the services, scope (404), rights
(403), stale writes (412), idempotency, rate limits (429) and invalid input (422 with field
paths in ninja's format ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``)."""

from __future__ import annotations

import logging

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from salesflow.core.dedup import DuplicateFound
from salesflow.core.errors import DomainError
from salesflow.pipeline.services import GateNotMet

from .auth import RateLimited, TokenScopeDenied

logger = logging.getLogger(__name__)

# A service names the model field ("owner"); the API calls it by its input name ("owner_id").
FIELD_ALIASES = {
    "owner": "owner_id",
    "source": "source_id",
    "industry": "industry_id",
    "region": "region_id",
    "team": "team_id",
    "referral_customer": "referral_customer_id",
    "lost_reason": "lost_reason_id",
    "to_stage": "to_stage_id",
    "template": "template_id",
    "customer": "customer_id",
    "output": "output_id",
    "leads": "id",
    "lead": "lead_id",
    "opportunity": "opportunity_id",
    "next_step_owner": "next_step_owner_id",
    "acceptor": "acceptor_id",
}
# Keys that name a path parameter rather than a field of the body.
PATH_FIELDS = {"output_id"}

# Chinese messages for the commonest pydantic error types (others keep pydantic's text).
PYDANTIC_MESSAGES = {
    "missing": "此字段为必填项。",
    "string_type": "须为字符串。",
    "string_too_short": "不能为空。",
    "string_too_long": "内容过长。",
    "int_type": "须为整数。",
    "int_parsing": "须为整数。",
    "int_from_float": "须为整数。",
    "bool_type": "须为布尔值（true/false）。",
    "bool_parsing": "须为布尔值（true/false）。",
    "decimal_type": "须为数字。",
    "decimal_parsing": "须为数字。",
    "decimal_max_digits": "数字位数过多。",
    "decimal_max_places": "最多两位小数。",
    "decimal_whole_digits": "数字位数过多。",
    "finite_number": "须为有限数字。",
    "greater_than": "数值过小。",
    "greater_than_equal": "数值过小。",
    "less_than": "数值过大。",
    "less_than_equal": "数值过大。",
    "date_type": "须为日期（YYYY-MM-DD）。",
    "date_parsing": "须为日期（YYYY-MM-DD）。",
    "date_from_datetime_parsing": "须为日期（YYYY-MM-DD）。",
    "date_from_datetime_inexact": "须为日期（YYYY-MM-DD）。",
    "datetime_type": "须为日期时间（ISO 8601）。",
    "datetime_parsing": "须为日期时间（ISO 8601）。",
    "datetime_from_date_parsing": "须为日期时间（ISO 8601）。",
    "literal_error": "取值不在可选范围内。",
    "enum": "取值不在可选范围内。",
    "list_type": "须为数组。",
    "dict_type": "须为对象。",
    "model_type": "须为对象。",
    "model_attributes_type": "须为对象。",
    "too_long": "项目过多。",
    "too_short": "项目过少。",
    "string_pattern_mismatch": "格式不正确。",
    "json_invalid": "JSON 格式错误。",
    "extra_forbidden": "不支持该字段。",
}


class PreconditionFailed(HttpError):
    """``If-Match`` named another version than the current one."""

    def __init__(self):
        super().__init__(412, _("记录已被他人修改（ETag 不一致），请重新读取后再提交。"))


class IdempotencyMismatch(HttpError):
    def __init__(self):
        super().__init__(
            422, _("该 Idempotency-Key 已用于另一个请求（请求内容不同），请换一个新的键。")
        )


class IdempotencyInProgress(HttpError):
    def __init__(self):
        super().__init__(409, _("使用同一 Idempotency-Key 的请求正在处理中，请稍后重试。"))


def _loc_part(part: str):
    return int(part) if part.isdigit() else part


def service_error_items(exc: DjangoValidationError, source: str = "body") -> list[dict]:
    """A service's ValidationError as ninja error items; ``data.pain_points`` becomes
    ``["body", "data", "pain_points"]``, ``items.0.score`` ``["body", "items", 0, "score"]``."""
    items = []
    if hasattr(exc, "error_dict"):
        for key, messages in exc.message_dict.items():
            if key in (NON_FIELD_ERRORS, None):
                loc = [source]
            else:
                first, *rest = str(key).split(".")
                name = FIELD_ALIASES.get(first, first)
                where = "path" if name in PATH_FIELDS else source
                loc = [where, name, *(_loc_part(p) for p in rest)]
            items.extend({"loc": loc, "msg": str(m), "type": "value_error"} for m in messages)
    else:
        items.extend({"loc": [source], "msg": str(m), "type": "value_error"} for m in exc.messages)
    return items


def reshape_validation_items(items: list[dict]) -> list[dict]:
    """ninja's items without the name of the body parameter (``["body", "payload",
    "company_name"]`` → ``["body", "company_name"]``) and with Chinese messages."""
    shaped = []
    for item in items:
        item = dict(item)
        loc = list(item.get("loc", ()))
        if len(loc) >= 2 and loc[0] == "body" and loc[1] == "payload":
            loc.pop(1)
        item["loc"] = loc
        message = PYDANTIC_MESSAGES.get(item.get("type", ""))
        if message:
            item["msg"] = message
        elif isinstance(item.get("msg"), str):
            item["msg"] = item["msg"].removeprefix("Value error, ")
        item.pop("url", None)
        shaped.append(item)
    return shaped


def _body(detail, code: str, **extra) -> dict:
    return {"detail": str(detail), "code": code, **extra}


def register_error_handlers(api) -> None:
    respond = api.create_response

    @api.exception_handler(NinjaValidationError)
    def invalid_input(request, exc):
        return respond(request, {"detail": reshape_validation_items(exc.errors)}, status=422)

    @api.exception_handler(DjangoValidationError)
    def service_invalid(request, exc):
        return respond(request, {"detail": service_error_items(exc)}, status=422)

    @api.exception_handler(PermissionDenied)
    def not_allowed(request, exc):
        detail = str(exc) or _("没有执行此操作的权限。")
        return respond(request, _body(detail, "forbidden"), status=403)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(
            request, _body(_("记录不存在或不在您的数据范围内。"), "not_found"), status=404
        )

    @api.exception_handler(ObjectDoesNotExist)
    def does_not_exist(request, exc):
        return not_found(request, exc)

    @api.exception_handler(DuplicateFound)
    def duplicate(request, exc):
        matches = [
            {
                "kind": m.kind,
                "name": m.name,
                "owner_name": m.owner_name,
                "reasons": list(m.reasons),
                "in_scope": m.in_scope,
                **({"id": m.pk} if m.in_scope else {}),
            }
            for m in exc.matches
        ]
        return respond(request, _body(exc.message, "duplicate", matches=matches), status=409)

    @api.exception_handler(GateNotMet)
    def gate_not_met(request, exc):
        missing = [
            {"id": o.pk, "code": o.code, "name": o.name, "kind": o.kind} for o in exc.missing
        ]
        return respond(request, _body(exc.message, "gate", missing=missing), status=409)

    @api.exception_handler(DomainError)
    def domain_error(request, exc):
        extra = {"field": exc.field} if exc.field else {}
        return respond(request, _body(exc.message, exc.code or "conflict", **extra), status=409)

    @api.exception_handler(IntegrityError)
    def integrity(request, exc):
        logger.warning("API write refused by the database: %s", exc)
        return respond(request, _body(_("数据冲突，请刷新后重试。"), "integrity"), status=409)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        message = exc.message if exc.message != "Unauthorized" else _("请先登录或提供有效的令牌。")
        response = respond(request, _body(message, "unauthenticated"), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="salesflow"'
        return response

    @api.exception_handler(RateLimited)
    def rate_limited(request, exc):
        response = respond(request, _body(exc.message, "rate_limited"), status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(Throttled)
    def throttled(request, exc):
        return respond(request, _body(_("请求过于频繁，请稍后再试。"), "rate_limited"), status=429)

    @api.exception_handler(PreconditionFailed)
    def precondition_failed(request, exc):
        return respond(request, _body(exc.message, "precondition_failed"), status=412)

    @api.exception_handler(IdempotencyMismatch)
    def idempotency_mismatch(request, exc):
        item = {"loc": ["header", "Idempotency-Key"], "msg": exc.message, "type": "idempotency"}
        return respond(request, {"detail": [item]}, status=422)

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        codes = {400: "bad_request", 403: "forbidden", 409: "conflict", 405: "not_allowed"}
        message = exc.message
        if exc.status_code == 403 and message == "CSRF check Failed":
            message = _("CSRF 校验失败：浏览器会话调用写接口须带 X-CSRFToken 请求头。")
        if exc.status_code == 400 and message == "Cannot parse request body":
            message = _("请求体不是有效的 JSON。")
        code = None
        if isinstance(exc, IdempotencyInProgress):
            code = "in_progress"
        elif isinstance(exc, TokenScopeDenied):
            code = "token_scope"
        return respond(
            request,
            _body(message, code or codes.get(exc.status_code, "error")),
            status=exc.status_code,
        )
