"""The personal notification pages (inbox, channel preferences) and the administrators' list of
failed deliveries."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.views import require_right

from . import notify
from .delivery import delivery_retry, failed_deliveries
from .models import Channel, Delivery, Notification

PAGE_SIZE = 20


@login_required
def notifications(request):
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(notify.inbox(request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for notification in page.object_list:
        notification.kind_label = notify.KINDS.get(notification.kind, "")
    return render(
        request, "activities/notifications.html", {"page": page, "unread_only": unread_only}
    )


def _own_notification(request, pk) -> Notification:
    try:
        return notify.notification_mark_read(actor=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None


@login_required
@require_POST
def notification_read(request, pk):
    _own_notification(request, pk)
    return redirect(_back_to_inbox(request))


@login_required
@require_POST
def notification_open(request, pk):
    """Mark read and go to the message's page (local links only)."""
    notification = _own_notification(request, pk)
    url = notification.url
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(url)
    return redirect(_back_to_inbox(request))


@login_required
@require_POST
def notifications_read_all(request):
    count = notify.notifications_mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("已将 %(count)s 条消息标为已读。") % {"count": count})
    return redirect(_back_to_inbox(request))


def _back_to_inbox(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "activities:notifications"


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    user = request.user
    if request.method == "POST":
        chosen = {kind: request.POST.getlist(f"pref-{kind}") for kind in notify.KINDS}
        changed = notify.notification_preferences_save(actor=user, chosen=chosen)
        if changed:
            messages.success(request, _("通知设置已保存。"))
        else:
            messages.info(request, _("通知设置没有变化。"))
        return redirect("activities:preferences")
    choosable = notify.choosable_channels(user)
    current = notify.preferences_of(user)
    channels = [{"value": c.value, "label": c.label, "enabled": choosable[c]} for c in Channel]
    rows = [
        {
            "kind": kind,
            "label": label,
            "cells": [
                {
                    "channel": c["value"],
                    "label": c["label"],
                    "checked": c["value"] in current[kind] or c["value"] == Channel.IN_APP,
                    "enabled": c["enabled"] and c["value"] != Channel.IN_APP,
                }
                for c in channels
            ],
        }
        for kind, label in notify.KINDS.items()
    ]
    return render(
        request,
        "activities/notifications_settings.html",
        {"channels": channels, "rows": rows, "has_email": bool(user.email)},
    )


@require_right("org.user", "change")
def failed(request):
    page = Paginator(failed_deliveries(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/notifications_failed.html",
        {"page": page, "statuses": Delivery.Status},
    )


@require_right("org.user", "change")
@require_POST
def failed_retry(request, pk):
    try:
        delivery = delivery_retry(actor=request.user, delivery_id=pk)
    except Delivery.DoesNotExist:
        raise Http404 from None
    delivery.refresh_from_db()
    if delivery.status == Delivery.Status.SENT:
        messages.success(request, _("已重新发送。"))
    else:
        messages.info(request, _("已安排重新发送。"))
    return redirect("activities:failed_deliveries")
