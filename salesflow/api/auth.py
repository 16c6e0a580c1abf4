"""Who is calling: a personal access token (``Authorization: Bearer sf_…``) or the browser
session (CSRF enforced on unsafe methods). Tried in that order; a presented but unusable token
is refused (401) rather than falling back to the session."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from . import ratelimit
from .selectors import token_for_secret
from .services import token_mark_used

_UNSET = object()


class TokenScopeDenied(HttpError):
    def __init__(self):
        super().__init__(403, _("该令牌为只读令牌，不能执行写操作。"))


class RateLimited(HttpError):
    def __init__(self, retry_after: int):
        super().__init__(429, _("请求过于频繁，请 %(s)s 秒后再试。") % {"s": retry_after})
        self.retry_after = retry_after


class TokenAuth(HttpBearer):
    """Bearer token. The outcome is kept on the request, so that a second check in the same
    request (the idempotency layer looks before the operation runs) counts only once."""

    def authenticate(self, request, token):
        cached = getattr(request, "_sf_token_auth", _UNSET)
        if cached is not _UNSET:
            if isinstance(cached, Exception):
                raise cached
            return cached
        try:
            user = self._authenticate(request, token)
        except Exception as exc:
            request._sf_token_auth = exc
            raise
        request._sf_token_auth = user
        return user

    def _authenticate(self, request, raw: str):
        api_token = token_for_secret(raw.strip())
        now = timezone.now()
        if api_token is None or not api_token.user.is_active:
            raise AuthenticationError(401, _("令牌无效。"))
        if api_token.revoked_at is not None:
            raise AuthenticationError(401, _("令牌已吊销。"))
        if api_token.is_expired(now):
            raise AuthenticationError(401, _("令牌已过期。"))
        if not api_token.allows(request.method):
            raise TokenScopeDenied()
        wait = ratelimit.hit(f"token:{api_token.key_hash[:24]}")
        if wait is not None:
            raise RateLimited(wait)
        token_mark_used(api_token, now)
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user


class SessionAuth(NinjaSessionAuth):
    """The signed-in browser user; ninja checks the CSRF token on unsafe methods."""

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


def principal_of(request) -> str | None:
    """ "token:<id>" or "user:<id>" for the authenticated caller (idempotency records)."""
    api_token = getattr(request, "api_token", None)
    if api_token is not None:
        return f"token:{api_token.pk}"
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return None


def api_user(request):
    """The user an operation acts as."""
    auth = getattr(request, "auth", None)
    if auth is not None and getattr(auth, "is_authenticated", False):
        return auth
    return request.user
