"""Building blocks shared by the routers: constrained input types, the error bodies, the
documented error responses of every operation and the page of a list."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, Field

MAX_ID = 2**63 - 1


def _clean_text(value: str) -> str:
    # PostgreSQL refuses NUL characters and no database stores lone surrogates: refuse them
    # here (422) instead of failing in the database (500).
    if "\x00" in value:
        raise ValueError("不能包含空字符（\\u0000）。")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("包含无效的字符。") from None
    return value


Text = Annotated[str, AfterValidator(_clean_text)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=2_147_483_647)]


def text(max_length: int | None = None, *, min_length: int | None = None) -> Any:
    """``Annotated`` string type with length bounds (and no NUL / surrogates)."""
    return Annotated[Text, Field(min_length=min_length, max_length=max_length)]


Name200 = text(200, min_length=1)
Name100 = text(100, min_length=1)
Name50 = text(50, min_length=1)
Short50 = text(50)
Short40 = text(40)
Short100 = text(100)
Short200 = text(200)
Long = text(10000)
Reason = text(2000, min_length=1)
Note = text(2000)
Email = text(254)


class ErrorOut(Schema):
    detail: str
    code: str


class FieldErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[FieldErrorItem]


class DuplicateMatchOut(Schema):
    kind: str
    name: str
    owner_name: str
    reasons: list[str]
    in_scope: bool
    id: int | None = Field(None, description="只在该记录在您数据范围内时给出")


class MissingOutputOut(Schema):
    id: int
    code: str
    name: str
    kind: str


class ConflictOut(Schema):
    detail: str
    code: str = Field(description="duplicate / gate / conflict / in_progress / integrity / …")
    matches: list[DuplicateMatchOut] | None = None
    missing: list[MissingOutputOut] | None = None
    field: str | None = None


def errors(
    *,
    body: bool = False,
    found: bool = False,
    conflict: bool = False,
    precondition: bool = False,
    validation: bool = True,
) -> dict[int, Any]:
    """The error answers an operation can give, documented so that clients (and the schema
    test) know every status code: 401 and 403 and 429 always; 400 when it reads a JSON body;
    404 when it names a record; 409 when a business rule can refuse; 412 with If-Match; 422
    when it has parameters."""
    result: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}
    if body:
        result[400] = ErrorOut
    if found:
        result[404] = ErrorOut
    if conflict:
        result[409] = ConflictOut
    if precondition:
        result[412] = ErrorOut
    if validation:
        result[422] = ValidationErrorOut
    return result


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=200, description="每页条数（最多 200）")
    cursor: Text | None = Field(
        None, max_length=64, description="上一页返回的 next_cursor；不传表示第一页"
    )


class RefOut(Schema):
    """A referenced record: id and display name."""

    id: int
    name: str


def ref(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


def iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


IF_MATCH_HEADER = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string", "maxLength": 1000},
    "description": "上次读取时的 ETag；记录已被修改时返回 412，不做任何更改。",
}
IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": "幂等键（建议 UUID）；24 小时内用同一键重复提交返回第一次的结果。",
}


def headers(*, if_match: bool = False, idempotency: bool = False) -> dict:
    """``openapi_extra`` documenting the optional request headers of an operation."""
    params = []
    if if_match:
        params.append(IF_MATCH_HEADER)
    if idempotency:
        params.append(IDEMPOTENCY_HEADER)
    return {"parameters": params}
