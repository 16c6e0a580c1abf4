"""``Idempotency-Key`` on POST: the first request with a key runs and its answer is kept for
24 hours; a repeat with the same key and the same request gets that answer again (header
``Idempotent-Replayed: true``) without running twice; the same key with another request is
refused (422); a repeat while the first still runs gets 409. Keys belong to the caller (the
token, or the user of a browser session). Server errors, 401, 403 and 429 are not kept, so
the request can simply be retried."""

from __future__ import annotations

import datetime
import functools
import hashlib
import re

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from ninja.errors import ValidationError

from .auth import principal_of
from .errors import IdempotencyInProgress, IdempotencyMismatch
from .models import IdempotencyRecord

KEEP_FOR = datetime.timedelta(hours=24)
KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, e.g. a UUID
NOT_KEPT = {401, 403, 429}


def _request_hash(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b" ")
    digest.update(request.path.encode("utf-8", "surrogateescape"))
    digest.update(b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def _authenticate(request, authenticators) -> str | None:
    """Identify the caller as the operation will (the outcome is cached on the request)."""
    for authenticate in authenticators:
        try:
            user = authenticate(request)
        except Exception:
            return None
        if user:
            request.auth = user
            return principal_of(request)
    return None


def idempotency_layer(api, authenticators):
    """A ninja "view" decorator (wraps ``Operation.run``) that applies to every POST."""

    def decorator(run):
        @functools.wraps(run)
        def wrapped(request, *args, **kwargs):
            key = request.headers.get("Idempotency-Key")
            if request.method != "POST" or key is None:
                return run(request, *args, **kwargs)
            if not KEY_RE.match(key):
                error = ValidationError(
                    [
                        {
                            "loc": ["header", "Idempotency-Key"],
                            "msg": "Idempotency-Key 须为 1–255 个可见 ASCII 字符（建议使用 UUID）。",
                            "type": "value_error",
                        }
                    ]
                )
                return api.on_exception(request, error)
            principal = _authenticate(request, authenticators)
            if principal is None:  # let the operation answer 401/403 as usual
                return run(request, *args, **kwargs)
            request_hash = _request_hash(request)
            now = timezone.now()
            IdempotencyRecord.objects.filter(
                principal=principal, key=key, created_at__lt=now - KEEP_FOR
            ).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        principal=principal,
                        key=key,
                        method=request.method,
                        path=request.path[:500],
                        request_hash=request_hash,
                        created_at=now,
                    )
            except IntegrityError:
                record = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
                if record is None:  # expired and deleted by a concurrent request
                    return api.on_exception(request, IdempotencyInProgress())
                if record.request_hash != request_hash:
                    return api.on_exception(request, IdempotencyMismatch())
                if record.status_code is None:
                    return api.on_exception(request, IdempotencyInProgress())
                replay = HttpResponse(
                    bytes(record.response_body),
                    status=record.status_code,
                    content_type=record.content_type or "application/json",
                )
                replay["Idempotent-Replayed"] = "true"
                return replay
            try:
                response = run(request, *args, **kwargs)
            except BaseException:
                IdempotencyRecord.objects.filter(pk=record.pk).delete()
                raise
            status = response.status_code
            if status >= 500 or status in NOT_KEPT or getattr(response, "streaming", False):
                IdempotencyRecord.objects.filter(pk=record.pk).delete()
            else:
                IdempotencyRecord.objects.filter(pk=record.pk).update(
                    status_code=status,
                    response_body=response.content,
                    content_type=response.get("Content-Type", "")[:100],
                )
            return response

        return wrapped

    return decorator
