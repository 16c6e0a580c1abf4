"""Personal access tokens of the REST API and the stored answers of idempotent POSTs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenScope(models.TextChoices):
    READ = "read", _("只读（GET）")
    WRITE = "write", _("读写（含新增、修改、删除）")


class ApiToken(models.Model):
    """A personal access token. Only the SHA-256 of its secret is stored; the secret itself is
    shown once, when the token is created. It acts as its user, with the user's rights and
    data scope, narrowed by its scopes: a "read" token may only read."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=8, help_text=_("密钥的前 8 个字符，用于辨认。"))
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("权限范围"), default=list)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="api_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} (sf_{self.prefix}…)"

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def is_usable(self, now=None) -> bool:
        return self.revoked_at is None and not self.is_expired(now)

    def allows(self, method: str) -> bool:
        """Reading needs "read" (or "write", which includes it); any other method "write"."""
        scopes = set(self.scopes or ())
        if method.upper() in SAFE_METHODS:
            return bool(scopes & {TokenScope.READ, TokenScope.WRITE})
        return TokenScope.WRITE in scopes

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired() else "active"

    @property
    def state_label(self) -> str:
        return {"revoked": _("已吊销"), "expired": _("已过期"), "active": _("有效")}[self.state]

    @property
    def scope_labels(self) -> list[str]:
        labels = dict(TokenScope.choices)
        return [str(labels.get(s, s)) for s in self.scopes or ()]


class IdempotencyRecord(models.Model):
    """One POST sent with an ``Idempotency-Key``: who sent it, what it was, and the answer.
    A repeat within 24 hours gets the stored answer; while the first is still running the
    status is empty."""

    principal = models.CharField(_("调用方"), max_length=40)  # "token:<id>" or "user:<id>"
    key = models.CharField(_("幂等键"), max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(default=b"", blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("幂等请求记录")
        verbose_name_plural = _("幂等请求记录")
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="uniq_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
