"""Running an import: preview, dry run, strict and partial mode, duplicate policy per row.

Every row runs in its own savepoint, so a bad row never poisons the others. Partial mode
commits in chunks (progress is visible while a large file runs); strict mode and dry runs
run in one transaction that is rolled back when any row failed (strict) or always (dry run),
after every row has been checked, so the report is the same as a real run's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import DatabaseError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core import context
from salesflow.core.audit import audit
from salesflow.core.dedup import DuplicateFound
from salesflow.core.errors import DomainError, ValidationError

from .entities import CellError, Entity, ImportContext
from .mapping import Profile, known_header_keys, raw_values
from .models import ImportedRecord, ImportRun, RunMode, RunStatus
from .reading import Table, detect_header_row, read_table

logger = logging.getLogger(__name__)
CHUNK_ROWS = 250
REPORT_LIMIT = 5000  # failed/skipped rows kept with details; counts are always complete


class _Rollback(Exception):
    pass


@dataclass
class Sheet:
    """The data rows of a table under its header, with their sheet row numbers (1-based)."""

    headers: list[str]
    rows: list[tuple[int, dict]]
    header_row: int


def sheet_from_table(table: Table, profile: Profile | None, entity: Entity) -> Sheet:
    if profile is not None and profile.header_row:
        index = profile.header_row - 1
    else:
        index = detect_header_row(table.rows, known_header_keys(entity) | _profile_keys(profile))
    header_cells = table.rows[index] if index < len(table.rows) else []
    headers = []
    for position, cell in enumerate(header_cells):
        text = str(cell).strip() or _("第%(n)s列") % {"n": position + 1}
        headers.append(text if text not in headers else f"{text}_{position + 1}")
    rows = []
    for offset, row in enumerate(table.rows[index + 1 :], start=index + 2):
        if all(v == "" for v in row):
            continue
        rows.append((offset, {h: (row[i] if i < len(row) else "") for i, h in enumerate(headers)}))
    return Sheet(headers=headers, rows=rows, header_row=index + 1)


def _profile_keys(profile: Profile | None) -> set[str]:
    from .reading import header_key

    return {header_key(h) for h in (profile.columns.values() if profile else ())}


def load_sheet(data: bytes, profile: Profile) -> Sheet:
    return sheet_from_table(read_table(data), profile, profile.entity_def)


# --- one row ----------------------------------------------------------------------------------


def parse_row(entity: Entity, profile: Profile, cells: dict, ctx) -> tuple[dict, dict, list]:
    """(values, errors, value-map hits): every mapped field parsed; errors by field label."""
    raw, hits = raw_values(profile, cells)
    values, errors = {}, {}
    for f in entity.fields:
        if f.name not in raw:
            continue
        try:
            values[f.name] = f.parse(raw[f.name], ctx)
        except CellError as exc:
            errors[f.name] = str(exc)
            continue
        if f.required and values[f.name] in (None, "", []):
            errors[f.name] = _("必填。")
    for f in entity.fields:
        if f.required and f.name not in raw and f.name not in errors:
            errors[f.name] = _("必填，但没有映射到任何列。")
    return values, errors, hits


def _error_messages(exc) -> dict:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return {
                k: "；".join(str(m) for e in v for m in e.messages)
                for k, v in exc.error_dict.items()
            }
        return {"": "；".join(str(m) for m in exc.messages)}
    if isinstance(exc, DomainError):
        return {exc.field or "": str(exc.message)}
    if isinstance(exc, PermissionDenied):
        return {"": str(exc) or _("没有权限。")}
    if isinstance(exc, ObjectDoesNotExist | Http404):
        return {"": _("相关记录不存在或不在你的数据范围内。")}
    return {"": str(exc)}


def _visible(obj, actor) -> bool:
    manager = type(obj)._default_manager
    if hasattr(manager, "restrict"):
        return manager.restrict(actor, "view").filter(pk=obj.pk).exists()
    return True


def _may_change(obj, actor, entity: Entity) -> bool:
    from salesflow.core.scope import has_right

    manager = type(obj)._default_manager
    if hasattr(manager, "restrict"):
        return manager.restrict(actor, "change").filter(pk=obj.pk).exists()
    return has_right(actor, entity.object_type, "change") or entity.can_import(actor)


def _duplicate_message(exc: DuplicateFound) -> str:
    shown = [f"{m.kind_label}“{m.name}”（{m.reason_labels}）" for m in exc.matches if m.in_scope]
    hidden = sum(1 for m in exc.matches if not m.in_scope)
    parts = shown + ([_("%(n)s 条不在你数据范围内的记录") % {"n": hidden}] if hidden else [])
    return _("与已有记录重复：%(list)s") % {"list": "、".join(parts)}


@dataclass
class RowOutcome:
    row: int
    status: str  # created | updated | skipped | failed
    errors: dict = field(default_factory=dict)  # field label → message
    message: str = ""
    cells: dict = field(default_factory=dict)
    records: list = field(default_factory=list)  # (model_label, pk, action)
    hits: list = field(default_factory=list)  # value maps applied

    def as_report(self) -> dict:
        return {
            "row": self.row,
            "status": self.status,
            "errors": self.errors,
            "message": self.message,
            "cells": {k: _jsonable(v) for k, v in self.cells.items()},
        }


def _jsonable(value):
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def import_row(entity: Entity, profile: Profile, row: int, cells: dict, ctx) -> RowOutcome:
    labels = {f.name: str(f.label) for f in entity.fields}
    values, errors, hits = parse_row(entity, profile, cells, ctx)
    if errors:
        return RowOutcome(
            row, "failed", {labels.get(k, k): v for k, v in errors.items()}, cells=cells, hits=hits
        )
    outcome = _write_row(entity, profile, row, cells, values, ctx)
    outcome.hits = hits
    return outcome


def _write_row(entity, profile, row, cells, values, ctx) -> RowOutcome:
    labels = {f.name: str(f.label) for f in entity.fields}
    actor = ctx.actor
    try:
        with transaction.atomic():
            existing = entity.find(values, ctx)
            if existing is not None and profile.duplicates == "skip":
                what = str(existing) if _visible(existing, actor) else _("（不在你的数据范围内）")
                return RowOutcome(row, "skipped", message=_("已存在：%(what)s") % {"what": what})
            if existing is not None and profile.duplicates == "update":
                if not _may_change(existing, actor, entity):
                    return RowOutcome(
                        row,
                        "failed",
                        message=_("已存在同样的记录，但不在你可修改的数据范围内。"),
                        cells=cells,
                    )
                result = entity.update(existing, values, ctx)
            else:
                result = entity.create(values, ctx, allow_duplicate=profile.duplicates == "create")
    except DuplicateFound as exc:
        if profile.duplicates == "skip":
            return RowOutcome(row, "skipped", message=_duplicate_message(exc))
        return RowOutcome(row, "failed", message=_duplicate_message(exc), cells=cells)
    except (ValidationError, DomainError, PermissionDenied, ObjectDoesNotExist, Http404) as exc:
        return error_outcome(exc, row, cells, labels)
    except DatabaseError as exc:
        logger.warning("import row %s failed: %s", row, exc)
        return RowOutcome(
            row, "failed", message=_("数据库拒绝了这一行：%(e)s") % {"e": exc}, cells=cells
        )
    records = [(o._meta.label_lower, o.pk, "created") for o in result.extra_created]
    records.append((result.obj._meta.label_lower, result.obj.pk, result.action))
    return RowOutcome(row, result.action, records=records, message="；".join(result.notes))


def error_outcome(exc, row: int, cells: dict, labels: dict) -> RowOutcome | None:
    """The failed row a refused write gives (messages by field label), or None for an
    exception that is not a refusal."""
    if not isinstance(
        exc, ValidationError | DomainError | PermissionDenied | ObjectDoesNotExist | Http404
    ):
        return None
    messages = _error_messages(exc)
    return RowOutcome(
        row,
        "failed",
        {labels.get(k, k or _("整行")): v for k, v in messages.items()},
        cells=cells,
    )


# --- a whole run ------------------------------------------------------------------------------


@dataclass
class Summary:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    report: list = field(default_factory=list)
    value_map_hits: dict = field(default_factory=dict)
    created_references: list = field(default_factory=list)
    extra_created: dict = field(default_factory=dict)  # model verbose name → count
    rolled_back: bool = False
    message: str = ""

    def add(self, outcome: RowOutcome) -> None:
        setattr(self, outcome.status, getattr(self, outcome.status) + 1)
        if outcome.status in ("failed", "skipped") and len(self.report) < REPORT_LIMIT:
            self.report.append(outcome.as_report())


def preview(profile: Profile, sheet: Sheet, *, actor, limit: int = 20) -> list[dict]:
    """The first rows as they would be read: each mapped field's value or its message, and
    whether a record with the same duplicate key exists. Nothing is written."""
    entity = profile.entity_def
    ctx = ImportContext(actor=actor, options=_options(profile), dry_run=True)
    rows = []
    with transaction.atomic():
        for number, cells in sheet.rows[:limit]:
            values, errors, hits = parse_row(entity, profile, cells, ctx)
            existing = None
            if not errors:
                try:
                    existing = entity.find(values, ctx)
                except (ValidationError, DomainError):
                    existing = None
            fields = []
            for f in entity.fields:
                if f.name in values or f.name in errors:
                    value = values.get(f.name)
                    fields.append(
                        {
                            "label": str(f.label),
                            "value": "" if value is None else _display(value),
                            "error": errors.get(f.name, ""),
                        }
                    )
            rows.append(
                {
                    "row": number,
                    "fields": fields,
                    "ok": not errors,
                    "exists": existing is not None,
                    "hits": hits,
                }
            )
        transaction.set_rollback(True)  # a reference created by ``create_missing`` is not kept
    return rows


def _display(value) -> str:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _options(profile: Profile) -> dict:
    return {**profile.options, "create_missing": profile.create_missing}


def run_rows(
    profile: Profile, sheet: Sheet, *, actor, mode: str, dry_run: bool, run: ImportRun | None
) -> Summary:
    from .bulk import BULK_CHUNK_ROWS, bulk_writer, insert_values

    entity = profile.entity_def
    ctx = ImportContext(actor=actor, options=_options(profile), dry_run=dry_run)
    ctx.run = run
    summary = Summary()
    one_transaction = dry_run or mode == RunMode.STRICT
    pending_records: list = []
    bulk = bulk_writer(entity, len(sheet.rows))  # large customer files: see bulk.py
    chunk_rows = BULK_CHUNK_ROWS if bulk else CHUNK_ROWS

    def outcomes(chunk):
        if bulk:
            return bulk(entity, profile, chunk, ctx)
        return (import_row(entity, profile, number, cells, ctx) for number, cells in chunk)

    def process(chunk):
        for outcome in outcomes(chunk):
            number = outcome.row
            summary.add(outcome)
            for hit in outcome.hits:
                summary.value_map_hits[hit] = summary.value_map_hits.get(hit, 0) + 1
            for label, pk, action in outcome.records:
                pending_records.append((number, label, pk, action))
            for label, _pk, _action in outcome.records[:-1]:  # made along with the row's record
                name = str(apps.get_model(label)._meta.verbose_name)
                summary.extra_created[name] = summary.extra_created.get(name, 0) + 1

    def save_records():
        if run is not None and pending_records:
            rows = [
                {
                    "run_id": run.pk,
                    "row_number": n,
                    "model_label": label,
                    "object_id": pk,
                    "action": action,
                    "undone": False,
                }
                for n, label, pk, action in pending_records
            ]
            insert_values(ImportedRecord, rows)
        pending_records.clear()

    chunks = [sheet.rows[i : i + chunk_rows] for i in range(0, len(sheet.rows), chunk_rows)]
    if one_transaction:
        try:
            with transaction.atomic():
                for chunk in chunks:
                    process(chunk)
                if dry_run or summary.failed:
                    raise _Rollback
                save_records()
        except _Rollback:
            summary.rolled_back = True
            pending_records.clear()
            if not dry_run:
                summary.message = _("严格模式：有 %(n)s 行出错，全部未导入。") % {
                    "n": summary.failed
                }
            else:
                summary.message = _("试运行：全部校验完毕，未写入任何数据。")
    else:
        done = 0
        for chunk in chunks:
            with transaction.atomic():
                process(chunk)
                save_records()
            done += len(chunk)
            if run is not None:
                ImportRun.objects.filter(pk=run.pk).update(processed_rows=done)
    summary.created_references = ctx.created_references if not summary.rolled_back else []
    return summary


def execute_run(run: ImportRun, sheet: Sheet | None = None) -> ImportRun:
    """Run a stored upload with its stored mapping and record the outcome on the run. Outside
    a request (worker, command line) the run gets its own job context: its audit entries share
    one request id, and settings and the working calendar are read once, not once per row."""
    if context.current() is None:
        with context.job_context(f"import:{run.pk}"):
            return _execute_run(run, sheet)
    return _execute_run(run, sheet)


def _execute_run(run: ImportRun, sheet: Sheet | None = None) -> ImportRun:
    profile = Profile.from_json(run.config)
    run.status, run.started_at = RunStatus.RUNNING, timezone.now()
    run.save(update_fields=["status", "started_at"])
    try:
        if sheet is None:  # a stored upload run by the worker: read it here
            sheet = load_sheet(bytes(run.file_data), profile)
        run.total_rows = len(sheet.rows)
        run.save(update_fields=["total_rows"])
        if not profile.entity_def.can_import(run.created_by):
            raise PermissionDenied(_("没有导入%(e)s的权限。") % {"e": profile.entity_def.label})
        summary = run_rows(
            profile, sheet, actor=run.created_by, mode=run.mode, dry_run=run.dry_run, run=run
        )
    except (ValidationError, DomainError, PermissionDenied) as exc:
        run.status, run.finished_at = RunStatus.FAILED, timezone.now()
        run.message = "；".join(_error_messages(exc).values())
        run.save()
        audit(actor=run.created_by, action="import.failed", obj=run, message=run.message)
        return run
    except Exception:
        ImportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), message=_("导入意外中断。")
        )
        raise
    # A dry run reports what a real run would do; a failed strict run reports what it wrote.
    written = run.dry_run or not summary.rolled_back
    run.created_count = summary.created if written else 0
    run.updated_count = summary.updated if written else 0
    run.skipped_count, run.failed_count = summary.skipped, summary.failed
    run.processed_rows = run.total_rows
    run.report = summary.report
    notes = [summary.message] if summary.message else []
    if summary.rolled_back and not run.dry_run and (summary.created or summary.updated):
        notes.append(
            _("（若无错误本可新增 %(c)s 行、更新 %(u)s 行）")
            % {"c": summary.created, "u": summary.updated}
        )
    if run.dry_run:
        notes.append(
            _("试运行结果：可新增 %(c)s 行、更新 %(u)s 行。")
            % {"c": summary.created, "u": summary.updated}
        )
    if summary.value_map_hits:
        hits = "；".join(f"{k}（{v} 行）" for k, v in sorted(summary.value_map_hits.items()))
        notes.append(_("值映射：%(hits)s") % {"hits": hits})
    if summary.extra_created and not summary.rolled_back:
        made = "、".join(f"{k} {v}" for k, v in summary.extra_created.items())
        notes.append(_("随之新建：%(items)s") % {"items": made})
    if summary.created_references:
        notes.append(_("新建参考项：%(items)s") % {"items": "、".join(summary.created_references)})
    run.message = "\n".join(notes)
    run.status, run.finished_at = RunStatus.DONE, timezone.now()
    run.save()
    audit(
        actor=run.created_by,
        action="import.dry_run" if run.dry_run else "import.run",
        obj=run,
        after={
            "entity": run.entity,
            "mode": run.mode,
            "created": run.created_count,
            "updated": run.updated_count,
            "skipped": run.skipped_count,
            "failed": run.failed_count,
        },
        message=run.file_name,
    )
    return run
