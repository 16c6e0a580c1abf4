from django import template

from salesflow.targets.metrics import percent_text

register = template.Library()


@register.filter
def pct(value, places=0):
    """A ratio (0.95) as a percentage ("95%"); None → "—"."""
    return percent_text(value, int(places or 0))
