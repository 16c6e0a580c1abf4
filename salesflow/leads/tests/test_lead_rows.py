"""The lead table's rows are built in Python (``lead_rows``); they must be exactly what the
template loop they replace rendered, for every branch of every cell, masked or not."""

import datetime
import re

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone

from salesflow.customers.models import Industry, Region
from salesflow.leads import views
from salesflow.leads.models import Lead

from .test_views import make_lead, team  # noqa: F401 — the fixture

pytestmark = pytest.mark.django_db

# The loop of leads/partials/table.html before the rows moved into Python.
TEMPLATE_ROWS = """{% load i18n salesflow_tags %}{% for lead in page.object_list %}
    <tr>
      {% if selectable %}<td><input class="form-check-input" type="checkbox" name="ids" value="{{ lead.pk }}" aria-label="{% blocktranslate with name=lead.company_name %}选择 {{ name }}{% endblocktranslate %}"></td>{% endif %}
      <td class="text-nowrap">
        <a class="fw-semibold" href="{{ lead.detail_url }}">{{ lead.company_name }}</a>
        <div class="small text-body-secondary">{{ lead.industry|default:"" }}{% if lead.industry and lead.region %} · {% endif %}{{ lead.region|default:"" }}</div>
      </td>
      <td class="text-nowrap">{{ lead.contact_name }}<div class="small text-body-secondary">{% contact_value request.user "lead" lead.phone "phone" %}</div></td>
      <td class="d-none d-md-table-cell">{{ lead.source }}</td>
      <td class="text-nowrap">{% if lead.grade %}<span class="badge text-bg-primary">{{ lead.grade }}</span> {{ lead.score }}{% else %}<span class="text-body-secondary">—</span>{% endif %}</td>
      <td class="text-nowrap d-none d-md-table-cell">{% if lead.intent == "high" %}{% translate "高" %}{% elif lead.intent == "medium" %}{% translate "中" %}{% elif lead.intent == "low" %}{% translate "低" %}{% else %}<span class="text-body-secondary">—</span>{% endif %}</td>
      <td class="text-nowrap">{{ lead.get_status_display }}</td>
      <td class="text-nowrap">{% if lead.owner %}{{ lead.owner }}{% else %}<span class="badge text-bg-warning">{% translate "未分配" %}</span>{% endif %}</td>
      <td class="text-nowrap">{{ lead.entered_at|date:"m-d H:i" }} <div>{% sla_badge lead.entry.due_at lead.entered_at _("录入") %}</div></td>
      <td>{% if lead.current_sla %}{% sla_badge lead.current_sla.due_at label=lead.current_sla.label %}{% else %}<span class="text-body-secondary">—</span>{% endif %}</td>
    </tr>
  {% endfor %}"""

NEW_ROWS = "{% load lead_tags %}{% lead_rows page.object_list request.user selectable %}"


def _squash(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("selectable", [True, False])
@pytest.mark.parametrize("role", ["manager", "product_expert"])
def test_rows_match_the_template_they_replace(team, make_user, selectable, role):  # noqa: F811
    now = timezone.now()
    industry, region = Industry.objects.first(), Region.objects.first()
    make_lead(team["rep"], company_name="<b>转义</b>公司", phone="13812345678", industry=industry)
    make_lead(None, company_name="只有区域", region=region, intent="medium", phone="021-5555")
    make_lead(
        team["rep"],
        company_name="A类未联系",
        industry=industry,
        region=region,
        grade="A",
        score=88,
        intent="high",
        graded_at=now,
        first_contact_due_at=now + datetime.timedelta(hours=3),
        entered_at=now - datetime.timedelta(days=3),
    )
    make_lead(team["rep"], company_name="低意向", grade="C", score=40, intent="low", graded_at=now)
    user = team["manager"] if role == "manager" else make_user("product_expert")
    request = RequestFactory().get("/leads/")
    request.user = user
    page = views._page(
        request, Lead.objects.select_related("owner", "source", "industry", "region").order_by("pk")
    )
    context = {"page": page, "selectable": selectable, "request": request}
    django = engines["django"]
    old = django.from_string(TEMPLATE_ROWS).render(context, request)
    new = django.from_string(NEW_ROWS).render(context, request)
    assert _squash(new) == _squash(old)
    assert "&lt;b&gt;转义&lt;/b&gt;公司" in new
    # a role without the right to see lead contact details gets the masked number
    assert ("13812345678" in new) == (role == "manager")
