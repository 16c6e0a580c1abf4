"""Pages of the handbook and knowledge base: index with search, handbook per template and
stage, scripts, cases, blank tool templates, version history, differences and restore."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesflow.core.audit import audit
from salesflow.core.errors import DomainError
from salesflow.core.exports import XLSX_TYPE
from salesflow.core.pagination import bounded_page
from salesflow.core.scope import has_right
from salesflow.core.views import require_right
from salesflow.pipeline.models import ProcessTemplate

from . import selectors, services, tooltemplates
from .forms import CaseForm, PageForm, RestoreForm, ScriptForm, apply_service_error
from .models import Kind

PER_PAGE = 20


def _rights(user) -> dict:
    return {
        "can_add": has_right(user, "knowledge", "add"),
        "can_edit": has_right(user, "knowledge", "change"),
    }


def _require(user, action: str) -> None:
    if not has_right(user, "knowledge", action):
        raise Http404


def item_url(kind: str, obj) -> str:
    if kind == Kind.PAGE:
        return reverse("knowledge:page", args=[obj.template_id, obj.stage_name])
    if kind == Kind.SCRIPT:
        return reverse("knowledge:script", args=[obj.pk])
    return reverse("knowledge:case", args=[obj.pk])


# --- index and search ----------------------------------------------------------------------


@require_right("knowledge")
def index(request):
    user = request.user
    query = (request.GET.get("q") or "").strip()[:100]
    hits = []
    if query:
        hits = selectors.search_all(user=user, query=query)
        for hit in hits:
            hit.url = item_url(hit.kind, hit.obj)
            hit.kind_label = Kind(hit.kind).label
    templates = selectors.templates()
    coverage = []
    for template in templates:
        names = selectors.template_stage_names(template)
        written = selectors.pages_of(user=user, template=template)
        coverage.append(
            {
                "template": template,
                "stages": len(names),
                "written": sum(1 for n in names if n in written),
            }
        )
    cases = list(selectors.case_list(user=user)[:5])
    return render(
        request,
        "knowledge/index.html",
        {
            "query": query,
            "hits": hits,
            "coverage": coverage,
            "recent_cases": cases,
            "script_count": selectors.script_list(user=user).count(),
            **_rights(user),
        },
    )


# --- handbook ------------------------------------------------------------------------------


@require_right("knowledge")
def handbook(request):
    user = request.user
    templates = selectors.templates()
    chosen = request.GET.get("template")
    template = next(
        (t for t in templates if str(t.pk) == chosen), templates[0] if templates else None
    )
    stages = []
    if template is not None:
        pages = selectors.pages_of(user=user, template=template)
        names = selectors.template_stage_names(template)
        stages = [{"name": name, "page": pages.get(name)} for name in names]
        # pages of stages no longer in the current version (renamed or removed)
        stages += [
            {"name": name, "page": page, "retired": True}
            for name, page in pages.items()
            if name not in names
        ]
    return render(
        request,
        "knowledge/handbook.html",
        {"templates": templates, "template": template, "stages": stages, **_rights(user)},
    )


@require_right("knowledge")
def page_detail(request, template_id, stage_name):
    user = request.user
    template = get_object_or_404(ProcessTemplate, pk=template_id)
    page = selectors.page_get(user=user, template_id=template.pk, stage_name=stage_name)
    if page is None and stage_name not in selectors.template_stage_names(template):
        raise Http404
    scripts = list(
        selectors.scripts_for_stage(user=user, template_id=template.pk, stage_name=stage_name)
    )
    return render(
        request,
        "knowledge/page_detail.html",
        {
            "template": template,
            "stage_name": stage_name,
            "page": page,
            "scripts": scripts,
            "kind": Kind.PAGE,
            **_rights(user),
        },
    )


@require_http_methods(["GET", "POST"])
@require_right("knowledge")
def page_edit(request, template_id, stage_name):
    user = request.user
    template = get_object_or_404(ProcessTemplate, pk=template_id)
    page = selectors.page_get(user=user, template_id=template.pk, stage_name=stage_name)
    _require(user, "change" if page else "add")
    if page is None and stage_name not in selectors.template_stage_names(template):
        raise Http404
    if request.method == "POST":
        form = PageForm(request.POST)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in ("what_to_do", "tips", "mistakes")}
            try:
                page = services.page_save(
                    actor=user,
                    template_id=template.pk,
                    stage_name=stage_name,
                    data=data,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已保存“%(name)s”第 %(v)s 版。") % {"name": stage_name, "v": page.version},
                )
                return redirect(item_url(Kind.PAGE, page))
    else:
        initial = {"note": _("首次编写")}
        if page is not None:
            initial = {"what_to_do": page.what_to_do, "tips": page.tips, "mistakes": page.mistakes}
        form = PageForm(initial=initial)
    return render(
        request,
        "knowledge/form.html",
        {
            "form": form,
            "title": _("编辑阶段手册：%(stage)s") % {"stage": stage_name},
            "subtitle": template.name,
            "cancel_url": reverse("knowledge:page", args=[template.pk, stage_name]),
            "obj": page,
        },
    )


# --- scripts -------------------------------------------------------------------------------


@require_right("knowledge")
def script_list(request):
    user = request.user
    stage = request.GET.get("stage", "")
    tag = (request.GET.get("tag") or "").strip()[:50]
    page = bounded_page(
        selectors.script_list(user=user, stage_name=stage, tag=tag),
        PER_PAGE,
        request.GET.get("page"),
    )
    return render(
        request,
        "knowledge/script_list.html",
        {
            "page": page,
            "stage": stage,
            "tag": tag,
            "stage_names": selectors.all_stage_names(),
            **_rights(user),
        },
    )


@require_right("knowledge")
def script_detail(request, pk):
    script = selectors.item_get(user=request.user, kind=Kind.SCRIPT, pk=pk)
    return render(
        request,
        "knowledge/script_detail.html",
        {"script": script, "kind": Kind.SCRIPT, **_rights(request.user)},
    )


@require_http_methods(["GET", "POST"])
@require_right("knowledge", "add")
def script_create(request):
    return _script_form(request, None)


@require_http_methods(["GET", "POST"])
@require_right("knowledge", "change")
def script_edit(request, pk):
    return _script_form(request, selectors.item_get(user=request.user, kind=Kind.SCRIPT, pk=pk))


def _script_form(request, script):
    user = request.user
    if request.method == "POST":
        form = ScriptForm(request.POST)
        if form.is_valid():
            try:
                script = services.script_save(
                    actor=user,
                    script_id=script.pk if script else None,
                    data=form.service_data(),
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已保存话术第 %(v)s 版。") % {"v": script.version})
                return redirect(item_url(Kind.SCRIPT, script))
    elif script is not None:
        form = ScriptForm(
            initial={
                "template": script.template_id,
                "stage_name": script.stage_name,
                "title": script.title,
                "script": script.script,
                "tags": script.tags,
            }
        )
    else:
        form = ScriptForm(
            initial={
                "stage_name": request.GET.get("stage", ""),
                "template": request.GET.get("template") or None,
                "note": _("首次编写"),
            }
        )
    return render(
        request,
        "knowledge/form.html",
        {
            "form": form,
            "title": _("编辑话术") if script else _("新建话术"),
            "cancel_url": item_url(Kind.SCRIPT, script) if script else reverse("knowledge:scripts"),
            "obj": script,
        },
    )


# --- cases ---------------------------------------------------------------------------------


@require_right("knowledge")
def case_list(request):
    user = request.user
    tag = (request.GET.get("tag") or "").strip()[:50]
    page = bounded_page(selectors.case_list(user=user, tag=tag), PER_PAGE, request.GET.get("page"))
    deals = selectors.case_deals(user=user, cases=page.object_list)
    for case in page.object_list:
        case.deal = deals.get(case.pk)
    return render(request, "knowledge/case_list.html", {"page": page, "tag": tag, **_rights(user)})


@require_right("knowledge")
def case_detail(request, pk):
    user = request.user
    case = selectors.item_get(user=user, kind=Kind.CASE, pk=pk)
    deal = selectors.case_deals(user=user, cases=[case]).get(case.pk)
    return render(
        request,
        "knowledge/case_detail.html",
        {"case": case, "deal": deal, "kind": Kind.CASE, **_rights(user)},
    )


@require_http_methods(["GET", "POST"])
@require_right("knowledge", "add")
def case_create(request):
    return _case_form(request, None)


@require_http_methods(["GET", "POST"])
@require_right("knowledge", "change")
def case_edit(request, pk):
    return _case_form(request, selectors.item_get(user=request.user, kind=Kind.CASE, pk=pk))


def _case_form(request, case):
    user = request.user
    current = case.opportunity_id if case else None
    if request.method == "POST":
        form = CaseForm(request.POST, user=user, current_opportunity_id=current)
        if form.is_valid():
            try:
                case = services.case_save(
                    actor=user,
                    case_id=case.pk if case else None,
                    data=form.service_data(),
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已保存案例第 %(v)s 版。") % {"v": case.version})
                return redirect(item_url(Kind.CASE, case))
    else:
        if case is not None:
            initial = {
                name: getattr(case, name)
                for name in (
                    "title",
                    "summary",
                    "situation",
                    "approach",
                    "result",
                    "lessons",
                    "tags",
                )
            }
            initial["opportunity"] = case.opportunity_id
        else:
            initial = {"opportunity": request.GET.get("opportunity"), "note": _("首次编写")}
        form = CaseForm(initial=initial, user=user, current_opportunity_id=current)
    return render(
        request,
        "knowledge/form.html",
        {
            "form": form,
            "title": _("编辑标杆案例") if case else _("新建标杆案例"),
            "cancel_url": item_url(Kind.CASE, case) if case else reverse("knowledge:cases"),
            "obj": case,
        },
    )


# --- versions ------------------------------------------------------------------------------


def _item(request, kind, pk):
    if kind not in Kind.values:
        raise Http404
    return selectors.item_get(user=request.user, kind=kind, pk=pk)


@require_right("knowledge")
def history(request, kind, pk):
    obj = _item(request, kind, pk)
    page = bounded_page(
        selectors.revisions(kind=kind, object_id=obj.pk), PER_PAGE, request.GET.get("page")
    )
    return render(
        request,
        "knowledge/history.html",
        {
            "obj": obj,
            "kind": kind,
            "kind_label": Kind(kind).label,
            "item_url": item_url(kind, obj),
            "page": page,
            "restore_form": RestoreForm(),
            **_rights(request.user),
        },
    )


def _number(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@require_right("knowledge")
def diff(request, kind, pk):
    obj = _item(request, kind, pk)
    new_no = _number(request.GET.get("b"), obj.version)
    old_no = _number(request.GET.get("a"), new_no - 1)
    revisions = {
        r.number: r
        for r in selectors.revisions(kind=kind, object_id=obj.pk).filter(
            number__in=[old_no, new_no]
        )
    }
    old, new = revisions.get(old_no), revisions.get(new_no)
    if new is None:
        raise Http404
    rows = (
        selectors.revision_diff(kind=kind, old=old, new=new)
        if old is not None
        else [
            {"label": label, "changed": True, "segments": [("insert", text)]}
            for label, text in selectors.revision_content(kind=kind, revision=new)
        ]
    )
    numbers = list(
        selectors.revisions(kind=kind, object_id=obj.pk).values_list("number", flat=True)[:200]
    )
    return render(
        request,
        "knowledge/diff.html",
        {
            "obj": obj,
            "kind": kind,
            "kind_label": Kind(kind).label,
            "item_url": item_url(kind, obj),
            "old": old,
            "new": new,
            "rows": rows,
            "numbers": numbers,
        },
    )


@require_POST
@require_right("knowledge", "change")
def restore(request, kind, pk, number):
    obj = _item(request, kind, pk)
    form = RestoreForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        obj = services.revision_restore(
            actor=request.user, kind=kind, object_id=obj.pk, number=number, note=note
        )
    except (ValidationError, DomainError, PermissionDenied) as exc:
        text = getattr(exc, "message", None) or "；".join(getattr(exc, "messages", [str(exc)]))
        messages.error(request, _("未能恢复：%(reason)s") % {"reason": text})
        return redirect(reverse("knowledge:history", args=[kind, obj.pk]))
    messages.success(
        request,
        _("已恢复第 %(old)s 版的内容，保存为第 %(new)s 版。") % {"old": number, "new": obj.version},
    )
    return redirect(item_url(kind, obj))


# --- tool templates ------------------------------------------------------------------------


@require_right("knowledge")
def tool_list(request):
    """Only the templates that have something to offer now (e.g. an active scorecard)."""
    tools = [t for t in tooltemplates.available() if t.build() is not None]
    return render(request, "knowledge/tools.html", {"tools": tools})


@require_right("knowledge")
def tool_download(request, key):
    template = tooltemplates.get(key)
    body = tooltemplates.build_workbook(template) if template else None
    if body is None:
        raise Http404
    audit(actor=request.user, action="knowledge.template_download", object_repr=str(template.title))
    stamp = timezone.localtime().strftime("%Y%m%d")
    response = HttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{template.title}-{stamp}.xlsx"
    )
    return response
