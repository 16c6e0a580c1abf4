"""Side panels that other modules show on an opportunity's detail page beside its current stage
(the knowledge module's stage guidance and sales scripts, …).

A panel is a function ``(request, opportunity, stage) -> str``: HTML already rendered (by
``render_to_string``, so escaped and safe), or "" to show nothing. The detail page renders
every registered panel in registration order; a panel must stay cheap (one or two indexed
queries) because it runs on every view of the page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

Panel = Callable[..., str]
_panels: list[Panel] = []


def register(panel: Panel) -> None:
    if panel not in _panels:
        _panels.append(panel)


def render(request, opportunity, stage) -> list[SafeString]:
    rendered = []
    for panel in _panels:
        html = panel(request=request, opportunity=opportunity, stage=stage)
        if html:
            rendered.append(mark_safe(html))  # rendered by a template: already escaped
    return rendered
