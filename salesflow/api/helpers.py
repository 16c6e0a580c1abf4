"""Small pieces the routers share: the acting user, turning ids of the input into records
(an unknown id is a 422 on that field, not a 404), and masked values sent back unchanged."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from salesflow.core.pii import can_view_contact, mask_email, mask_phone

from .auth import api_user
from .errors import FIELD_ALIASES

__all__ = ["api_user", "drop_masked_echo", "pick", "resolve_ids", "user_of_context"]

_MODEL_FIELD = {alias: field for field, alias in FIELD_ALIASES.items()}


def user_of_context(context) -> object:
    return api_user(context["request"])


def pick(queryset, pk, field: str):
    """The record ``pk`` of ``queryset`` (None for None), else a 422 on ``field``."""
    if pk is None:
        return None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: _("所选记录不存在或不可用。")})
    return obj


def resolve_ids(data: dict, lookups: dict) -> dict:
    """Replace ``<name>_id`` keys of ``data`` by ``<name>`` records: ``lookups`` maps the input
    name to a queryset of the records it may name (active reference rows, the caller's
    customers, …). Keys absent from ``data`` stay absent (PATCH)."""
    result = dict(data)
    for input_name, queryset in lookups.items():
        if input_name in result:
            value = result.pop(input_name)
            model_field = _MODEL_FIELD.get(input_name, input_name.removesuffix("_id"))
            result[model_field] = pick(queryset, value, model_field)
    return result


MASKERS = {"phone": mask_phone, "email": mask_email, "wechat": lambda v: "***" if v else ""}


def drop_masked_echo(user, object_type: str, data: dict, current) -> dict:
    """A caller who sees contact details masked may send the masked value back (a client
    that PATCHes what it read): that means "unchanged", never "store 138****5678"."""
    if can_view_contact(user, object_type):
        return data
    result = dict(data)
    for field, masker in MASKERS.items():
        if field in result and current is not None:
            existing = getattr(current, field, "") or ""
            if existing and result[field] == masker(existing):
                result.pop(field)
    return result
