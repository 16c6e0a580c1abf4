"""Sending the deliveries that ``notify`` queued: email, 企业微信 and 钉钉 group robots.

``deliver_due`` is the worker's loop (called by ``tasks.send_deliveries``): it claims a small
batch of due pending rows (SKIP LOCKED on PostgreSQL), takes a lease on them by counting the
attempt and moving ``next_attempt_at`` past the send, then sends outside the transaction. A
failure is written on the row and retried with backoff; after ``MAX_ATTEMPTS`` the row is
``failed`` and listed for administrators — a send is never silently dropped. Delivery is
at-least-once: a worker that dies mid-send leaves the lease to expire and the row is sent again.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import logging
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from salesflow.core.audit import audit, snapshot

from .models import Channel, Delivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# Wait after the 1st, 2nd, 3rd, 4th failed attempt; the 5th failure marks the row failed.
BACKOFF = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
BATCH_SIZE = 20
MAX_BATCHES = 25  # per run; the periodic job picks up the rest a minute later
# A claimed row is not due again before this, which is far longer than a batch of sends
# (BATCH_SIZE × TIMEOUT); if the worker dies mid-send, the row is retried after it.
LEASE = datetime.timedelta(minutes=10)
TIMEOUT = 5  # seconds per HTTP request
MARKDOWN_MAX_BYTES = 4096  # 企业微信 markdown.content limit (UTF-8); also used for 钉钉


class DeliveryError(Exception):
    """A send that did not go through; the message is stored as ``last_error``."""


# --- the worker loop ----------------------------------------------------------------------


def deliver_due(now: datetime.datetime | None = None) -> int:
    """Send every due pending delivery (bounded per run); returns how many were sent.
    ``now`` fixes the clock (tests); otherwise each batch reads it afresh, so a lease never
    starts in the past after a slow batch."""
    sent = 0
    for _batch in range(MAX_BATCHES):
        batch_now = now or timezone.now()
        batch = _claim(batch_now)
        if not batch:
            break
        for delivery in batch:
            sent += _attempt(delivery, batch_now)
    return sent


def _claim(now: datetime.datetime) -> list[Delivery]:
    with transaction.atomic():
        due = Delivery.objects.filter(
            status=Delivery.Status.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        # On SQLite the IMMEDIATE transaction holds the write lock: claims are serialised.
        ids = list(due.values_list("id", flat=True)[:BATCH_SIZE])
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids).update(
            attempts=F("attempts") + 1, next_attempt_at=now + LEASE
        )
    return list(
        Delivery.objects.filter(id__in=ids)
        .select_related("notification__user__department", "endpoint")
        .order_by("next_attempt_at", "id")
    )


def _attempt(delivery: Delivery, now: datetime.datetime) -> int:
    try:
        send(delivery)
    except DeliveryError as exc:
        _record_failure(delivery, str(exc), now)
        return 0
    except Exception as exc:  # a bug must not lose the row either: record it and retry
        logger.exception("delivery %s raised", delivery.pk)
        _record_failure(delivery, f"{exc.__class__.__name__}: {exc}", now)
        return 0
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        last_error="",
        endpoint=delivery.endpoint,
    )
    return 1


def _record_failure(delivery: Delivery, error: str, now: datetime.datetime) -> None:
    fields = {"last_error": error[:2000], "endpoint": delivery.endpoint}
    if delivery.attempts >= MAX_ATTEMPTS:
        fields["status"] = Delivery.Status.FAILED
        logger.warning("delivery %s failed after %s attempts", delivery.pk, delivery.attempts)
    else:
        fields["next_attempt_at"] = now + BACKOFF[max(delivery.attempts, 1) - 1]
    Delivery.objects.filter(pk=delivery.pk).update(**fields)


# --- retry by an administrator ------------------------------------------------------------


# Failed rows, and pending rows that have failed at least once and wait for their next try.
NEEDS_ATTENTION = Q(status=Delivery.Status.FAILED) | (
    Q(status=Delivery.Status.PENDING, attempts__gt=0) & ~Q(last_error="")
)


def failed_deliveries():
    """What the failed-deliveries page lists, newest first."""
    return (
        Delivery.objects.filter(NEEDS_ATTENTION)
        .select_related("notification__user", "endpoint")
        .order_by("-created_at", "-id")
    )


def delivery_retry(*, actor, delivery_id: int) -> Delivery:
    """Send a failed (or waiting) delivery again now: one more attempt; if it fails it is
    listed as failed again with the new error."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(NEEDS_ATTENTION).get(pk=delivery_id)
        fields = ["status", "next_attempt_at"]
        before = snapshot(delivery, fields)
        delivery.status = Delivery.Status.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=fields)
        audit(
            actor=actor,
            action="delivery.retry",
            obj=delivery,
            before=before,
            after=snapshot(delivery, fields),
            message=delivery.last_error[:500],
        )
        transaction.on_commit(_enqueue)
    return delivery


def _enqueue() -> None:
    from .tasks import send_deliveries

    send_deliveries.enqueue()


# --- senders ------------------------------------------------------------------------------


def send(delivery: Delivery) -> None:
    """Send one delivery on its channel; raises DeliveryError when it did not go through."""
    if delivery.channel == Channel.EMAIL:
        send_email(delivery)
        return
    if delivery.channel not in (Channel.WECOM, Channel.DINGTALK):
        raise DeliveryError(_("不支持的渠道：%(channel)s") % {"channel": delivery.channel})
    endpoint = delivery.endpoint
    if endpoint is None or not endpoint.is_active or endpoint.kind != delivery.channel:
        endpoint = endpoint_for(delivery.notification.user, delivery.channel)
        delivery.endpoint = endpoint
    if endpoint is None:
        raise DeliveryError(
            _("没有可用的%(channel)s：请为用户所在部门或全公司配置并启用一个。")
            % {"channel": Channel(delivery.channel).label}
        )
    if delivery.channel == Channel.WECOM:
        send_wecom(delivery, endpoint)
    else:
        send_dingtalk(delivery, endpoint)


def endpoint_for(user, channel: str) -> WebhookEndpoint | None:
    """The active robot of ``channel`` for the user's department, else the nearest department
    above, else the company one (no department)."""
    chain: list[int] = []
    department = getattr(user, "department", None)
    if department is not None:
        chain = [int(pk) for pk in department.path.strip("/").split("/") if pk.isdigit()]
        if not chain:
            chain = [department.pk]
    candidates = WebhookEndpoint.objects.filter(kind=channel, is_active=True).filter(
        Q(department__isnull=True) | Q(department_id__in=chain)
    )
    depth = {pk: i for i, pk in enumerate(chain)}
    best = None
    for endpoint in candidates.order_by("id"):
        rank = -1 if endpoint.department_id is None else depth[endpoint.department_id]
        if best is None or rank > best[0]:
            best = (rank, endpoint)
    return best[1] if best else None


def absolute_url(url: str) -> str:
    """The notification's link for use outside the site (email, group robots)."""
    if not url:
        return ""
    if url_has_allowed_host_and_scheme(url, allowed_hosts=None) and url.startswith("/"):
        return settings.SITE_URL.rstrip("/") + url
    if url.startswith(("https://", "http://")):
        return url
    return ""


def send_email(delivery: Delivery) -> None:
    notification = delivery.notification
    user = notification.user
    if not user.email:
        raise DeliveryError(_("用户 %(name)s 没有邮箱地址。") % {"name": user})
    subject = " ".join(notification.title.split())  # no newlines in a header
    parts = [notification.body]
    if link := absolute_url(notification.url):
        parts.append(_("查看详情：%(url)s") % {"url": link})
    try:
        send_mail(subject, "\n\n".join(p for p in parts if p), None, [user.email])
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(_("邮件发送失败：%(error)s") % {"error": exc}) from exc


def markdown_text(delivery: Delivery) -> str:
    notification = delivery.notification
    lines = [f"### {notification.title}", "", f"@{notification.user}"]
    if notification.body:
        lines += ["", notification.body]
    if link := absolute_url(notification.url):
        lines += ["", f"[{_('查看详情')}]({link})"]
    return truncate_bytes("\n".join(lines), MARKDOWN_MAX_BYTES)


def truncate_bytes(text: str, limit: int) -> str:
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - len("…".encode())].decode(errors="ignore") + "…"


def send_wecom(delivery: Delivery, endpoint: WebhookEndpoint) -> None:
    """企业微信群机器人: ``{"msgtype": "markdown", "markdown": {"content": …}}``."""
    payload = {"msgtype": "markdown", "markdown": {"content": markdown_text(delivery)}}
    _check_errcode(post_json(endpoint.url, payload), Channel.WECOM.label)


def send_dingtalk(delivery: Delivery, endpoint: WebhookEndpoint) -> None:
    """钉钉自定义机器人: markdown with title and text; signed (加签) when a secret is set."""
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": delivery.notification.title, "text": markdown_text(delivery)},
    }
    url = endpoint.url
    if endpoint.secret:
        timestamp = str(round(time.time() * 1000))
        sign = dingtalk_sign(endpoint.secret, timestamp)
        separator = "&" if urllib.parse.urlsplit(url).query else "?"
        url = f"{url}{separator}timestamp={timestamp}&sign={sign}"
    _check_errcode(post_json(url, payload), Channel.DINGTALK.label)


def dingtalk_sign(secret: str, timestamp: str) -> str:
    """钉钉 加签: base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), URL-encoded."""
    string_to_sign = f"{timestamp}\n{secret}"
    digest = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def post_json(url: str, payload: dict) -> dict:
    """POST ``payload`` as JSON; the decoded JSON answer, or DeliveryError. Error texts never
    include the URL: a robot's URL carries its key."""
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise DeliveryError(_("Webhook 地址必须以 https:// 或 http:// 开头。"))
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(_("HTTP 错误 %(code)s") % {"code": exc.code}) from None
    except urllib.error.URLError as exc:
        raise DeliveryError(_("无法连接：%(reason)s") % {"reason": exc.reason}) from None
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(_("连接失败：%(error)s") % {"error": exc}) from None
    try:
        answer = json.loads(raw)
    except ValueError:
        raise DeliveryError(
            _("返回的不是 JSON：%(text)s") % {"text": raw[:200].decode(errors="replace")}
        ) from None
    if not isinstance(answer, dict):
        raise DeliveryError(_("返回的不是 JSON 对象。"))
    return answer


def _check_errcode(answer: dict, service) -> None:
    if answer.get("errcode") != 0:
        raise DeliveryError(
            _("%(service)s 返回错误 %(code)s：%(message)s")
            % {
                "service": service,
                "code": answer.get("errcode"),
                "message": str(answer.get("errmsg", ""))[:300],
            }
        )
