"""Writes of the API's own data: creating and revoking personal access tokens (audited)."""

from __future__ import annotations

import datetime
import secrets

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.audit import audit
from salesflow.core.errors import ValidationError
from salesflow.core.pii import reject_sensitive
from salesflow.core.scope import has_right

from .models import ApiToken, TokenScope
from .selectors import TOKEN_PREFIX, hash_secret

MAX_ACTIVE_TOKENS = 20
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def _audit_view(token: ApiToken) -> dict:
    """What the audit log keeps of a token: never the secret or its hash."""
    return {
        "name": token.name,
        "prefix": token.prefix,
        "scopes": list(token.scopes),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def token_create(
    *, actor, name: str, scopes: list[str], expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``actor``. Returns the token and its secret ("sf_…"), which is shown
    to the user once and never stored."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("请填写令牌名称，例如“ERP 同步”。")
    elif len(name) > 100:
        errors["name"] = _("名称不能超过 100 个字符。")
    chosen = sorted(set(scopes or ()))
    if not chosen or any(s not in TokenScope.values for s in chosen):
        errors["scopes"] = _("请选择令牌的权限范围。")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        errors["expires_in_days"] = _("有效期须在 1 到 3650 天之间。")
    if errors:
        raise ValidationError(errors)
    reject_sensitive({"name": name})
    now = timezone.now()
    with transaction.atomic():
        active = (
            ApiToken.objects.select_for_update()
            .filter(user=actor, revoked_at__isnull=True)
            .exclude(expires_at__lte=now)
            .count()
        )
        if active >= MAX_ACTIVE_TOKENS:
            raise ValidationError(
                {
                    "name": _("有效令牌已达 %(n)s 个，请先吊销不用的令牌。")
                    % {"n": MAX_ACTIVE_TOKENS}
                }
            )
        secret = secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=actor,
            name=name,
            prefix=secret[:8],
            key_hash=hash_secret(secret),
            scopes=chosen,
            created_at=now,
            expires_at=now + datetime.timedelta(days=expires_in_days) if expires_in_days else None,
        )
        audit(actor=actor, action="api_token.create", obj=token, after=_audit_view(token))
    return token, f"{TOKEN_PREFIX}{secret}"


def token_revoke(*, actor, token_id: int) -> ApiToken:
    """Revoke a token at once (idempotent). Users revoke their own tokens; an administrator
    who may change users may revoke anyone's."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None or (
            token.user_id != actor.pk and not has_right(actor, "org.user", "change")
        ):
            raise Http404
        if token.revoked_at is None:
            before = _audit_view(token)
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit(
                actor=actor,
                action="api_token.revoke",
                obj=token,
                before=before,
                after=_audit_view(token),
            )
    return token


def token_mark_used(token: ApiToken, now: datetime.datetime | None = None) -> None:
    """Remember when a token was last used (at most one write a minute per token)."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def idempotency_purge(now: datetime.datetime | None = None) -> int:
    """Forget idempotency records past their 24 hours (a repeat after that runs again)."""
    from .idempotency import KEEP_FOR
    from .models import IdempotencyRecord

    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _per_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
