"""Cursor pagination of the lists: newest first (``-id``); the cursor is the opaque base64 of
the last id of the page, so a page costs the same however deep it is and rows added meanwhile
never shift the next page."""

from __future__ import annotations

import base64
import binascii

from ninja.errors import ValidationError

from .schemas import MAX_ID


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _sep, value = raw.partition(":")
        last_id = int(value)
        if kind != "id" or not 1 <= last_id <= MAX_ID:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError(
            [{"loc": ["query", "cursor"], "msg": "无效的分页游标。", "type": "value_error"}]
        ) from None
    return last_id


def paginate(queryset, *, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """One page of ``queryset`` ordered by ``-id``: (rows, next cursor or None)."""
    queryset = queryset.order_by("-id")
    if cursor:
        queryset = queryset.filter(pk__lt=decode_cursor(cursor))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].pk) if more and rows else None)
