"""Pages of the import module: upload → mapping → preview → run → result, history, undo,
profiles."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesflow.core.audit import audit
from salesflow.core.errors import DomainError, ValidationError
from salesflow.core.exports import XLSX_TYPE, build_xlsx, neutralise
from salesflow.core.pagination import BoundedPaginator

from . import services
from .engine import load_sheet, preview, sheet_from_table
from .entities import get_entity
from .forms import MappingForm, ProfileFileForm, RunForm, UploadForm
from .mapping import Profile, suggest_columns
from .models import ImportProfile, ImportRun, RunStatus
from .reading import read_table
from .undo import CANNOT_UNDO, undo_run

PREVIEW_ROWS = 20
REPORT_ROWS_SHOWN = 200


def _is_admin(user) -> bool:
    return user.is_superuser or get_entity("user").can_import(user)


def _runs_for(user):
    runs = ImportRun.objects.select_related("created_by", "profile").defer("file_data")
    return runs if _is_admin(user) else runs.filter(created_by=user)


def _run_or_404(user, pk: int) -> ImportRun:
    """A run is seen by the user who imported and by administrators; others get a 404."""
    return get_object_or_404(_runs_for(user), pk=pk)


def _messages_of(exc) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(getattr(exc, "message", exc))


@login_required
def index(request):
    entities = services.importable_entities(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, entities=entities)
    if request.method == "POST" and entities and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = services.run_upload(
                actor=request.user,
                entity_key=form.cleaned_data["entity"],
                file_name=upload.name,
                data=upload.read(),
                profile=form.cleaned_data.get("profile"),
            )
        except (ValidationError, DomainError, PermissionDenied) as exc:
            form.add_error("file", _messages_of(exc))
        else:
            return redirect("imports:mapping", pk=run.pk)
    page = BoundedPaginator(_runs_for(request.user), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "imports/index.html",
        {"form": form, "entities": entities, "page": page, "is_admin": _is_admin(request.user)},
    )


@login_required
def mapping(request, pk: int):
    run = _run_or_404(request.user, pk)
    if run.status != RunStatus.UPLOADED or run.created_by_id != request.user.pk:
        return redirect("imports:detail", pk=run.pk)
    entity = services.require_import_right(request.user, run.entity)
    profile = Profile.from_json(run.config)
    try:
        table = read_table(bytes(run.file_data))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("imports:index")
    sheet = sheet_from_table(table, profile, entity)
    if not profile.columns and not profile.compose:
        profile.columns = suggest_columns(entity, sheet.headers)
    profile.header_row = sheet.header_row
    form = MappingForm(request.POST or None, entity=entity, headers=sheet.headers, profile=profile)
    if request.method == "POST" and form.is_valid():
        try:
            new_profile = form.profile()
            if new_profile.header_row != sheet.header_row:
                # another header row means other column names: map again from them
                new_profile.columns = {}
                services.run_set_mapping(actor=request.user, run=run, profile=new_profile)
                return redirect("imports:mapping", pk=run.pk)
            services.run_set_mapping(actor=request.user, run=run, profile=new_profile)
            if form.cleaned_data.get("profile_name"):
                saved = services.profile_save(
                    actor=request.user, profile=new_profile, name=form.cleaned_data["profile_name"]
                )
                run.profile = saved
                run.save(update_fields=["profile"])
                messages.success(request, _("已保存导入方案“%(n)s”。") % {"n": saved.name})
        except (ValidationError, DomainError, PermissionDenied) as exc:
            form.add_error(None, _messages_of(exc))
        else:
            return redirect("imports:preview", pk=run.pk)
    samples = {h: [cells.get(h, "") for _n, cells in sheet.rows[:3]] for h in sheet.headers}
    return render(
        request,
        "imports/mapping.html",
        {
            "run": run,
            "entity": entity,
            "form": form,
            "sheet": sheet,
            "samples": samples,
            "row_count": len(sheet.rows),
        },
    )


@login_required
def preview_page(request, pk: int):
    run = _run_or_404(request.user, pk)
    if run.status != RunStatus.UPLOADED or run.created_by_id != request.user.pk:
        return redirect("imports:detail", pk=run.pk)
    profile = Profile.from_json(run.config)
    entity = services.require_import_right(request.user, profile.entity)
    sheet = load_sheet(bytes(run.file_data), profile)
    rows = preview(profile, sheet, actor=request.user, limit=PREVIEW_ROWS)
    labels = [str(f.label) for f in entity.fields if f.name in profile.columns
              or f.name in profile.compose or f.name in profile.defaults]  # fmt: skip
    form = RunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.run_start(
                actor=request.user,
                run=run,
                mode=form.cleaned_data["mode"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except (ValidationError, DomainError, PermissionDenied) as exc:
            form.add_error(None, _messages_of(exc))
        else:
            return redirect("imports:detail", pk=run.pk)
    return render(
        request,
        "imports/preview.html",
        {
            "run": run,
            "entity": entity,
            "profile": profile,
            "rows": rows,
            "labels": labels,
            "form": form,
            "row_count": len(sheet.rows),
            "bad_rows": sum(1 for r in rows if not r["ok"]),
        },
    )


@login_required
def detail(request, pk: int):
    run = _run_or_404(request.user, pk)
    entity = get_entity(run.entity)
    report = run.report[:REPORT_ROWS_SHOWN]
    return render(
        request,
        "imports/detail.html",
        {
            "run": run,
            "entity": entity,
            "report": report,
            "report_more": max(0, len(run.report) - REPORT_ROWS_SHOWN),
            "cannot_undo": CANNOT_UNDO,
            "can_undo": run.status == RunStatus.DONE
            and not run.dry_run
            and run.created_count > 0
            and (run.created_by_id == request.user.pk or request.user.is_superuser),
            "run_form": RunForm(initial={"mode": run.mode, "dry_run": False}),
            "is_owner": run.created_by_id == request.user.pk,
        },
    )


@login_required
def progress(request, pk: int):
    """The progress panel, polled by htmx while a background import runs."""
    run = _run_or_404(request.user, pk)
    response = render(request, "imports/_progress.html", {"run": run})
    if run.is_finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # show the finished report
    return response


@login_required
def error_report(request, pk: int):
    """The failed and skipped rows with their reasons and original cells, as xlsx."""
    run = _run_or_404(request.user, pk)
    columns: list[str] = []
    for entry in run.report:
        for key in entry.get("cells", {}):
            if key not in columns:
                columns.append(key)
    status_labels = {"failed": _("失败"), "skipped": _("跳过")}
    rows = []
    for entry in run.report:
        reasons = "；".join(f"{k}：{v}" if k else v for k, v in entry["errors"].items())
        reason = "；".join(p for p in (reasons, entry.get("message", "")) if p)
        cells = entry.get("cells", {})
        rows.append(
            [entry["row"], str(status_labels.get(entry["status"], entry["status"])), reason]
            + [neutralise(cells.get(c, "")) for c in columns]
        )
    headers = [_("行号"), _("结果"), _("原因"), *columns]
    body = build_xlsx(
        [[neutralise(v) for v in r[:3]] + r[3:] for r in rows], headers, _("导入错误")
    )
    audit(actor=request.user, action="import.error_report", obj=run, message=f"{len(rows)} rows")
    response = HttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"import-{run.pk}-errors.xlsx"
    )
    return response


@login_required
@require_POST
def run_again(request, pk: int):
    """After a dry run: the same file and mapping for real."""
    run = _run_or_404(request.user, pk)
    form = RunForm(request.POST)
    if not run.dry_run or not form.is_valid():
        raise Http404
    try:
        new = services.run_again_for_real(
            actor=request.user, run=run, mode=form.cleaned_data["mode"]
        )
    except (ValidationError, DomainError, PermissionDenied) as exc:
        messages.error(request, _messages_of(exc))
        return redirect("imports:detail", pk=run.pk)
    return redirect("imports:detail", pk=new.pk)


@login_required
@require_POST
def undo(request, pk: int):
    run = _run_or_404(request.user, pk)
    try:
        run = undo_run(actor=request.user, run=run)
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, _messages_of(exc))
    else:
        if run.undo_report:
            messages.warning(
                request,
                _("已撤销部分记录；%(n)s 条无法撤销，原因见下方。") % {"n": len(run.undo_report)},
            )
        else:
            messages.success(request, _("已撤销本次导入新增的全部记录。"))
    return redirect("imports:detail", pk=run.pk)


# --- profiles -----------------------------------------------------------------------------------


@login_required
def profiles(request):
    entities = {e.key: e for e in services.importable_entities(request.user)}
    form = ProfileFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.profile_load(
                actor=request.user,
                data=form.cleaned_data["file"].read(),
                name=form.cleaned_data.get("name") or "",
            )
        except (ValidationError, DomainError, PermissionDenied) as exc:
            form.add_error("file", _messages_of(exc))
        else:
            messages.success(request, _("已导入方案“%(n)s”。") % {"n": saved.name})
            return redirect("imports:profiles")
    items = ImportProfile.objects.filter(entity__in=list(entities)).select_related("created_by")
    rows = [{"profile": p, "entity": entities[p.entity]} for p in items]
    return render(request, "imports/profiles.html", {"rows": rows, "form": form})


def _profile_or_404(user, pk: int) -> ImportProfile:
    keys = [e.key for e in services.importable_entities(user)]
    return get_object_or_404(ImportProfile, pk=pk, entity__in=keys)


@login_required
def profile_export(request, pk: int):
    profile = _profile_or_404(request.user, pk)
    body = json.dumps({**profile.config, "name": profile.name}, ensure_ascii=False, indent=2)
    response = HttpResponse(body.encode("utf-8"), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{profile.name}.json"
    )
    return response


@login_required
@require_POST
def profile_delete(request, pk: int):
    profile = _profile_or_404(request.user, pk)
    try:
        services.profile_delete(actor=request.user, profile=profile)
    except PermissionDenied as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, _("已删除方案。"))
    return redirect("imports:profiles")
