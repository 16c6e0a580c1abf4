"""The rows of the lead table, built in Python: the list pages show 50 rows of ten cells each,
and rendering them through the template engine cost more than the page's queries. The markup is
the one ``leads/partials/table.html`` used to loop over (a test renders both and compares)."""

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from salesflow.core.pii import shown_phone
from salesflow.core.templatetags.salesflow_tags import sla_badge

register = template.Library()

MUTED_DASH = '<span class="text-body-secondary">—</span>'


def _text(value) -> str:
    return "" if value is None else str(value)


def _row(lead, user, selectable: bool, labels: dict) -> str:
    cells = []
    if selectable:
        cells.append(
            format_html(
                '<td><input class="form-check-input" type="checkbox" name="ids" value="{}"'
                ' aria-label="{}"></td>',
                lead.pk,
                labels["select"] % {"name": lead.company_name},
            )
        )
    industry, region = _text(lead.industry), _text(lead.region)
    cells.append(
        format_html(
            '<td class="text-nowrap"><a class="fw-semibold" href="{}">{}</a>'
            '<div class="small text-body-secondary">{}{}{}</div></td>',
            lead.detail_url,
            lead.company_name,
            industry,
            " · " if industry and region else "",
            region,
        )
    )
    cells.append(
        format_html(
            '<td class="text-nowrap">{}<div class="small text-body-secondary">{}</div></td>',
            lead.contact_name,
            shown_phone(user, "lead", lead.phone or ""),
        )
    )
    cells.append(format_html('<td class="d-none d-md-table-cell">{}</td>', _text(lead.source)))
    grade = (
        format_html('<span class="badge text-bg-primary">{}</span> {}', lead.grade, lead.score)
        if lead.grade
        else mark_safe(MUTED_DASH)
    )
    cells.append(format_html('<td class="text-nowrap">{}</td>', grade))
    intent = labels["intent"].get(lead.intent)
    cells.append(
        format_html(
            '<td class="text-nowrap d-none d-md-table-cell">{}</td>',
            intent if intent else mark_safe(MUTED_DASH),
        )
    )
    cells.append(format_html('<td class="text-nowrap">{}</td>', lead.get_status_display()))
    owner = (
        conditional_escape(str(lead.owner))
        if lead.owner_id
        else format_html('<span class="badge text-bg-warning">{}</span>', labels["unassigned"])
    )
    cells.append(format_html('<td class="text-nowrap">{}</td>', owner))
    cells.append(
        format_html(
            '<td class="text-nowrap">{} <div>{}</div></td>',
            date_filter(template_localtime(lead.entered_at), "m-d H:i"),
            sla_badge(lead.entry.due_at, lead.entered_at, labels["entry"]),
        )
    )
    current = lead.current_sla
    cells.append(
        format_html(
            "<td>{}</td>",
            sla_badge(current["due_at"], label=current["label"])
            if current
            else mark_safe(MUTED_DASH),
        )
    )
    return "<tr>" + "".join(cells) + "</tr>"


@register.simple_tag
def lead_rows(leads, user, selectable=False):
    """The ``<tr>`` rows of the lead table for leads decorated by ``leads.views._page``."""
    labels = {
        "select": gettext("选择 %(name)s"),
        "intent": {"high": gettext("高"), "medium": gettext("中"), "low": gettext("低")},
        "unassigned": gettext("未分配"),
        "entry": gettext("录入"),
    }
    return mark_safe("\n".join(_row(lead, user, bool(selectable), labels) for lead in leads))
