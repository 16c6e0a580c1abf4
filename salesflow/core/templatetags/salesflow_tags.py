"""Template helpers of the base layout: ``{% load salesflow_tags %}``.

- ``{{ form.field|bs }}``: renders a form field with the Bootstrap class that fits its widget
  (``form-control`` / ``form-select`` / ``form-check-input``), plus ``is-invalid`` when the
  bound field has errors.
- ``{{ form.field|add_class:"form-control form-control-lg" }}``: adds CSS classes to a field.
- ``{{ level_tag|alert_class }}``: a messages-framework level tag → Bootstrap alert colour
  (``error`` → ``danger``, ``debug`` → ``secondary``).
- ``{% nav_is_active item %}`` / ``{% nav_any_active items as flag %}``: whether a navigation
  entry (``{"url_name": ...}``) is the page being shown (``request.resolver_match.view_name``).
- ``{% block_text "title" %}``: the rendered content of another block of the page being rendered
  (the layout's ``heading`` block defaults to the ``title`` block with it).
- ``{% elided_pages page as pages %}``: page numbers with ``…`` gaps for ``includes/pagination``.
- ``{% query_with page=3 %}``: ``?…&page=3``, the current GET parameters with some replaced
  (``None`` removes one); like Django's ``{% querystring %}`` but also works in a plain
  ``Context`` without ``request`` (then only the given parameters).
- ``{{ depth|depth_class }}``: ``sf-depth-N`` (N clamped to 0–10) for indenting trees without
  ``style=`` attributes (the Content-Security-Policy forbids inline styles).
"""

from django import forms, template
from django.http import QueryDict
from django.template.loader_tags import BLOCK_CONTEXT_KEY

register = template.Library()

ALERT_CLASSES = {
    "debug": "secondary",
    "info": "info",
    "success": "success",
    "warning": "warning",
    "error": "danger",
    "danger": "danger",
}
TONES = {"primary", "secondary", "success", "warning", "danger", "info"}
MAX_DEPTH = 10


def _merge_classes(*parts: str) -> str:
    seen: list[str] = []
    for part in parts:
        for name in (part or "").split():
            if name not in seen:
                seen.append(name)
    return " ".join(seen)


def _render_with_class(field, css_class: str):
    if not hasattr(field, "as_widget"):
        return field  # not a bound field: leave it alone rather than fail the page
    widget_class = field.field.widget.attrs.get("class", "")
    if field.errors:
        css_class = _merge_classes(css_class, "is-invalid")
    return field.as_widget(attrs={"class": _merge_classes(widget_class, css_class)})


@register.filter
def add_class(field, css_class: str):
    """``{{ form.username|add_class:"form-control" }}``."""
    return _render_with_class(field, css_class)


def widget_css_class(widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


@register.filter
def bs(field):
    """``{{ form.field|bs }}``: the field with the Bootstrap class of its widget."""
    if not hasattr(field, "as_widget"):
        return field
    return _render_with_class(field, widget_css_class(field.field.widget))


@register.filter
def alert_class(level_tag) -> str:
    """``{{ message.level_tag|alert_class }}`` → ``success`` / ``danger`` / …"""
    for tag in str(level_tag or "").split():
        if tag in ALERT_CLASSES:
            return ALERT_CLASSES[tag]
    return "info"


@register.filter
def tone(value) -> str:
    """A card tone limited to Bootstrap's colour names (anything else → ``primary``)."""
    return value if value in TONES else "primary"


@register.filter
def depth_class(depth) -> str:
    try:
        level = int(depth)
    except (TypeError, ValueError):
        level = 0
    return f"sf-depth-{max(0, min(level, MAX_DEPTH))}"


def _current_view_name(context) -> str:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return getattr(match, "view_name", "") or ""


def _url_name(item) -> str:
    if isinstance(item, dict):
        return item.get("url_name", "") or ""
    return getattr(item, "url_name", "") or ""


@register.simple_tag(takes_context=True)
def nav_is_active(context, item) -> bool:
    view_name = _current_view_name(context)
    return bool(view_name) and view_name == _url_name(item)


@register.simple_tag(takes_context=True)
def nav_any_active(context, items) -> bool:
    view_name = _current_view_name(context)
    return bool(view_name) and any(view_name == _url_name(item) for item in items or ())


@register.simple_tag(takes_context=True)
def block_text(context, name: str):
    """The rendered content of the block ``name`` as the page being rendered defines it."""
    block_context = context.render_context.get(BLOCK_CONTEXT_KEY)
    if block_context is None:
        return ""
    node = block_context.get_block(name)
    if node is None:
        return ""
    # BlockNode.render looks the block up again in the block context (so {{ block.super }}
    # inside it keeps working) and returns safe text.
    return node.render(context).strip()


@register.simple_tag
def elided_pages(page, on_each_side: int = 2, on_ends: int = 1):
    """Page numbers around the current page, with ``Paginator.ELLIPSIS`` for the gaps."""
    paginator = page.paginator
    return list(
        paginator.get_elided_page_range(page.number, on_each_side=on_each_side, on_ends=on_ends)
    )


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs) -> str:
    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in kwargs.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode()


@register.simple_tag
def contact_value(user, object_type, value, kind="phone"):
    """A phone number or e-mail as this user may see it (masked without the right)."""
    from salesflow.core.pii import shown_email, shown_phone

    if kind == "email":
        return shown_email(user, object_type, value or "")
    return shown_phone(user, object_type, value or "")


@register.simple_tag
def sla_badge(due_at, done_at=None, label=""):
    """按时 / 即将到期 / 已超时 / 已达成 / 已逾期完成 badge for a deadline. Built in Python (the
    markup of ``includes/sla_badge.html``): list pages show one or two per row."""
    from django.utils.formats import date_format
    from django.utils.html import format_html
    from django.utils.timezone import template_localtime
    from django.utils.translation import gettext

    from salesflow.core.sla import SLA_STATE_BADGES, SLA_STATE_LABELS, sla_state

    if due_at is None:
        return "\n"
    state = sla_state(due_at, done_at=done_at)
    return format_html(
        '<span class="badge {}" title="{}{} {}">{}{}</span>\n',
        SLA_STATE_BADGES[state],
        format_html("{}：", label) if label else "",
        gettext("截止"),
        date_format(template_localtime(due_at), "Y-m-d H:i"),
        format_html("{} · ", label) if label else "",
        SLA_STATE_LABELS[state],
    )


@register.filter
def can(user, right):
    """``{% if request.user|can:"followup.add" %}`` — the role right, as services check it."""
    from salesflow.core.scope import has_right

    object_type, _, action = str(right).rpartition(".")
    return has_right(user, object_type, action)
