"""Reads of the API's own data: a user's tokens, the token behind a presented secret."""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet

from .models import ApiToken

TOKEN_PREFIX = "sf_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_list(*, user) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (revoked and expired ones included)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_for_secret(raw: str) -> ApiToken | None:
    """The token whose secret is ``raw`` ("sf_…"), whatever its state, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    secret = raw[len(TOKEN_PREFIX) :]
    if not 20 <= len(secret) <= 128:
        return None
    return ApiToken.objects.select_related("user").filter(key_hash=hash_secret(secret)).first()
