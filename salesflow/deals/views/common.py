"""Helpers shared by the deals pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from salesflow.core.errors import DomainError
from salesflow.core.scope import owner_ids_for
from salesflow.org.models import User

from ..forms import error_text

PAGE_SIZE = 50
SERVICE_ERRORS = (ValidationError, DomainError, PermissionDenied)


def page_of(request, qs, size: int = PAGE_SIZE):
    return Paginator(qs, size).get_page(request.GET.get("page"))


def owner_choices(user, object_type: str):
    """The people whose records the user sees (the owner filter of a list)."""
    ids = owner_ids_for(user, object_type, "view")
    qs = User.objects.filter(is_active=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.order_by("id")


def int_param(request, name: str) -> int | None:
    try:
        value = int(request.GET.get(name) or request.POST.get(name) or 0)
    except (TypeError, ValueError):
        return None
    return value or None


def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def run_action(request, call, *, success: str, back: str):
    """A POST action without a form of its own: message the result and go back."""
    try:
        result = call()
    except SERVICE_ERRORS as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success)
        return result, redirect(back)
    return None, redirect(back)


def export_format(request) -> str:
    return "csv" if request.GET.get("format") == "csv" else "xlsx"
