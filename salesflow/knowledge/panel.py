"""The knowledge module's panel on the opportunity page: the handbook page and scripts of the
opportunity's current stage (two indexed queries; nothing for users without the right)."""

from django.template.loader import render_to_string

from salesflow.core.scope import has_right

from . import selectors


def stage_guidance_panel(*, request, opportunity, stage) -> str:
    user = request.user
    if not has_right(user, "knowledge", "view"):
        return ""
    page, scripts = selectors.stage_guidance(user=user, opportunity=opportunity, stage=stage)
    return render_to_string(
        "knowledge/partials/stage_panel.html",
        {
            "page": page,
            "scripts": scripts,
            "stage": stage,
            "template_id": opportunity.template_version.template_id,
            "can_edit": has_right(user, "knowledge", "change"),
            "can_write_case": opportunity.status == "won" and has_right(user, "knowledge", "add"),
            "opportunity": opportunity,
        },
        request=request,
    )
