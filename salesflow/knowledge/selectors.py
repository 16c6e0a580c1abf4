"""Every read of the knowledge base: lists, one item, its versions and their differences, the
guidance of an opportunity's current stage, the search and the linked opportunities' figures
(only those inside the reader's data scope)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from salesflow.pipeline.models import Opportunity, ProcessTemplate

from . import search
from .models import MODELS, BestCase, HandbookPage, Kind, Revision, SalesScript
from .services import FIELDS

SCRIPTS_ON_STAGE = 6


def templates() -> list[ProcessTemplate]:
    return list(ProcessTemplate.objects.filter(is_active=True).order_by("id"))


def template_stage_names(template: ProcessTemplate) -> list[str]:
    """The stage names of a template's current version, in order (for its handbook)."""
    version = template.versions.filter(is_current=True).first()
    if version is None:
        return []
    return list(version.stages.order_by("order").values_list("name", flat=True))


def all_stage_names() -> list[str]:
    names: list[str] = []
    for template in templates():
        for name in template_stage_names(template):
            if name not in names:
                names.append(name)
    return names


def pages_of(*, user, template: ProcessTemplate) -> dict[str, HandbookPage]:
    qs = HandbookPage.objects.restrict(user, "view").filter(template=template)
    return {page.stage_name: page for page in qs.select_related("updated_by")}


def page_get(*, user, template_id: int, stage_name: str) -> HandbookPage | None:
    return (
        HandbookPage.objects.restrict(user, "view")
        .filter(template_id=template_id, stage_name=stage_name)
        .select_related("template", "updated_by")
        .first()
    )


def scripts_for_stage(*, user, template_id: int | None, stage_name: str) -> QuerySet:
    return (
        SalesScript.objects.restrict(user, "view")
        .filter(Q(template_id=template_id) | Q(template__isnull=True), stage_name=stage_name)
        .order_by("id")
    )


def script_list(*, user, stage_name: str = "", tag: str = "") -> QuerySet:
    qs = SalesScript.objects.restrict(user, "view").select_related("template", "updated_by")
    if stage_name == "-":
        qs = qs.filter(stage_name="")
    elif stage_name:
        qs = qs.filter(stage_name=stage_name)
    if tag:
        qs = qs.filter(tags__contains=tag)
    return qs.order_by("stage_name", "id")


def case_list(*, user, tag: str = "") -> QuerySet:
    qs = BestCase.objects.restrict(user, "view").select_related("updated_by")
    if tag:
        qs = qs.filter(tags__contains=tag)
    return qs.order_by("-updated_at", "-id")


def item_get(*, user, kind: str, pk: int):
    model = MODELS.get(kind)
    if model is None:
        raise Http404
    qs = model.objects.select_related("updated_by", "created_by")
    if kind != Kind.CASE:
        qs = qs.select_related("template")
    return qs.get_in_scope(user, "view", pk=pk)


def revisions(*, kind: str, object_id: int) -> QuerySet:
    return Revision.objects.filter(kind=kind, object_id=object_id).select_related("author")


# --- linked opportunities -----------------------------------------------------------------


@dataclass
class CaseDeal:
    """What a case shows of its won opportunity to a reader whose scope reaches it."""

    opportunity: Opportunity
    customer_name: str
    amount: object
    cycle_days: int | None


def case_deals(*, user, cases) -> dict[int, CaseDeal]:
    """``{case id: CaseDeal}`` for the cases whose opportunity the reader may see (one
    query); a case missing from the result shows its text only."""
    ids = {case.opportunity_id for case in cases}
    if not ids:
        return {}
    visible = {
        opp.pk: opp
        for opp in Opportunity.objects.restrict(user, "view")
        .filter(pk__in=ids)
        .select_related("customer")
    }
    deals = {}
    for case in cases:
        opp = visible.get(case.opportunity_id)
        if opp is None:
            continue
        cycle = (opp.closed_at - opp.created_at).days if opp.closed_at else None
        deals[case.pk] = CaseDeal(opp, opp.customer.name, opp.amount, cycle)
    return deals


def won_opportunity_ids(*, user, limit: int = 200) -> list[int]:
    """Ids of the won opportunities the user sees, latest first (the case form's choices)."""
    qs = Opportunity.objects.restrict(user, "view").filter(status="won")
    return list(qs.order_by("-closed_at", "-id").values_list("pk", flat=True)[:limit])


def opportunities_by_ids(ids) -> QuerySet:
    return (
        Opportunity.objects.filter(pk__in=list(ids))
        .select_related("customer")
        .order_by("-closed_at", "-id")
    )


# --- the opportunity page ------------------------------------------------------------------


def stage_guidance(*, user, opportunity, stage) -> tuple[HandbookPage | None, list]:
    """The handbook page and scripts of an opportunity's current stage (two queries)."""
    template_id = opportunity.template_version.template_id
    page = (
        HandbookPage.objects.restrict(user, "view")
        .filter(template_id=template_id, stage_name=stage.name)
        .first()
    )
    scripts = list(
        scripts_for_stage(user=user, template_id=template_id, stage_name=stage.name)[
            :SCRIPTS_ON_STAGE
        ]
    )
    return page, scripts


# --- search --------------------------------------------------------------------------------


def search_all(*, user, query: str, limit: int = 50) -> list[search.Hit]:
    sources = [
        (
            Kind.PAGE,
            HandbookPage.objects.restrict(user, "view").select_related("template"),
            lambda p: f"{p.stage_name}（{p.template.name}）",
            lambda p: [p.what_to_do, p.tips, p.mistakes],
        ),
        (
            Kind.SCRIPT,
            SalesScript.objects.restrict(user, "view"),
            lambda s: s.title,
            lambda s: [s.script, s.tags],
        ),
        (
            Kind.CASE,
            BestCase.objects.restrict(user, "view"),
            lambda c: c.title,
            lambda c: [c.summary, c.situation, c.approach, c.result, c.lessons, c.tags],
        ),
    ]
    return search.search(sources, query, limit=limit)


# --- versions and differences --------------------------------------------------------------


def field_label(kind: str, name: str) -> str:
    model = MODELS[kind]
    field = model._meta.get_field(name.removesuffix("_id"))
    return str(field.verbose_name)


def _shown_values(data_list: list[dict]) -> list[dict]:
    """Foreign keys of the versions as names (template, opportunity) for display."""
    template_ids = {d.get("template_id") for d in data_list if d.get("template_id")}
    opp_ids = {d.get("opportunity_id") for d in data_list if d.get("opportunity_id")}
    templates_by_id = dict(
        ProcessTemplate.objects.filter(pk__in=template_ids).values_list("pk", "name")
    )
    opps_by_id = dict(Opportunity.all_objects.filter(pk__in=opp_ids).values_list("pk", "name"))
    shown = []
    for data in data_list:
        row = dict(data)
        if "template_id" in row:
            row["template_id"] = templates_by_id.get(row["template_id"], "")
        if "opportunity_id" in row:
            row["opportunity_id"] = opps_by_id.get(row["opportunity_id"], "")
        shown.append(row)
    return shown


def char_diff(old: str, new: str) -> list[tuple[str, str]]:
    """``[(op, text)]`` with op in equal / delete / insert — a character diff, which suits
    Chinese text (no spaces between words)."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    segments = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("equal", old[i1:i2]))
        else:
            if i2 > i1:
                segments.append(("delete", old[i1:i2]))
            if j2 > j1:
                segments.append(("insert", new[j1:j2]))
    return segments


def revision_diff(*, kind: str, old: Revision, new: Revision) -> list[dict]:
    """Per versioned field: its label, whether it changed and the character diff."""
    old_data, new_data = _shown_values([old.data, new.data])
    rows = []
    for name in FIELDS[kind]:
        before, after = str(old_data.get(name) or ""), str(new_data.get(name) or "")
        rows.append(
            {
                "label": field_label(kind, name),
                "changed": before != after,
                "segments": char_diff(before, after) if before != after else [("equal", after)],
            }
        )
    return rows


def revision_content(*, kind: str, revision: Revision) -> list[tuple[str, str]]:
    (data,) = _shown_values([revision.data])
    return [(field_label(kind, name), str(data.get(name) or "")) for name in FIELDS[kind]]
