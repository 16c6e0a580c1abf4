"""Opportunities with their history: created through ``pipeline.services.opportunity_create``,
closed through ``opportunity_win``/``opportunity_lose``, each at the date the sheet gives, so
that the stage events (funnels, cycle times, diagnosis) describe what happened when it
happened."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import ValidationError

from .base import CellError, Entity, FieldDef, WriteResult
from .customers import OWNER
from .leads import day_start
from .refs import reference_resolver, resolve_customer, resolve_product

STATUS_CHOICES = {
    "open": gettext_lazy("进行中"),
    "won": gettext_lazy("赢单"),
    "lost": gettext_lazy("输单"),
}


def _version(ctx):
    from salesflow.pipeline.services import default_version

    return ctx.cached(
        "version",
        str(ctx.options.get("template") or ""),
        lambda: _pick_version(ctx, default_version),
    )


def _pick_version(ctx, default_version):
    from salesflow.pipeline.models import ProcessTemplate

    name = ctx.options.get("template")
    template = ProcessTemplate.objects.filter(name=name, is_active=True).first() if name else None
    return default_version(template.pk if template else None)


def resolve_stage(text: str, ctx):
    """A stage of the template's current version, by code or by name."""
    stages = ctx.cached("stages", "all", lambda: list(_version(ctx).stages.order_by("order")))
    for stage in stages:
        if text.lower() in (stage.code.lower(), stage.name.lower()):
            return stage
    names = "、".join(f"{s.name}（{s.code}）" for s in stages)
    raise CellError(_("“%(v)s”不是流程中的阶段（可选：%(names)s）。") % {"v": text, "names": names})


class OpportunityEntity(Entity):
    key = "opportunity"
    label = gettext_lazy("商机")
    object_type = "opportunity"
    model_label = "pipeline.opportunity"
    duplicate_key_label = gettext_lazy("同一客户下的商机名称")
    fields = [
        FieldDef(
            "name",
            gettext_lazy("商机名称"),
            ("商机", "项目名称", "opportunity", "opportunity name", "deal", "deal name"),
            required=True,
            max_length=200,
        ),
        FieldDef(
            "customer",
            gettext_lazy("客户名称"),
            ("客户", "公司名称", "customer", "account", "company"),
            kind="ref",
            required=True,
            resolve=resolve_customer,
        ),
        FieldDef(
            "product",
            gettext_lazy("产品"),
            ("产品名称", "product"),
            kind="ref",
            resolve=resolve_product,
            help=gettext_lazy("按产品名称查找，记入商机的产品线。"),
        ),
        FieldDef(
            "product_line",
            gettext_lazy("产品线"),
            ("product line",),
            kind="ref",
            resolve=reference_resolver("pipeline.ProductLine", "product_line"),
        ),
        FieldDef(
            "amount",
            gettext_lazy("金额（元）"),
            ("金额", "商机金额", "成交金额", "amount", "value", "deal value", "close value"),
            kind="decimal",
        ),
        FieldDef(
            "expected_close_date",
            gettext_lazy("预计成交日期"),
            ("预计成交", "预计签约日期", "expected close", "expected close date"),
            kind="date",
        ),
        FieldDef(
            "stage",
            gettext_lazy("阶段"),
            ("商机阶段", "销售阶段", "stage", "deal stage"),
            kind="ref",
            resolve=resolve_stage,
            help=gettext_lazy("流程模板中的阶段名称或代码；留空为第一个阶段。"),
        ),
        FieldDef(
            "status",
            gettext_lazy("状态"),
            ("商机状态", "结果", "status", "result"),
            kind="choice",
            choices=STATUS_CHOICES,
        ),
        FieldDef(
            "created_date",
            gettext_lazy("创建日期"),
            ("立项日期", "created", "created date", "create date"),
            kind="date",
            help=gettext_lazy("留空则为导入当天。"),
        ),
        FieldDef(
            "stage_date",
            gettext_lazy("进入阶段日期"),
            ("阶段日期", "stage date", "engage date"),
            kind="date",
        ),
        FieldDef(
            "close_date",
            gettext_lazy("关闭日期"),
            ("成交日期", "赢单日期", "输单日期", "close date", "closed date"),
            kind="date",
            help=gettext_lazy("赢单或输单的日期；状态为赢单/输单时必填。"),
        ),
        FieldDef(
            "lost_reason",
            gettext_lazy("输单原因"),
            ("lost reason",),
            kind="ref",
            resolve=reference_resolver("pipeline.LostReason", "lost_reason"),
        ),
        FieldDef("description", gettext_lazy("描述"), ("说明", "备注", "description", "notes")),
        OWNER,
    ]

    def find(self, values, ctx):
        from salesflow.pipeline.models import Opportunity

        customer = values.get("customer")
        if customer is None:
            return None
        return Opportunity.objects.filter(customer=customer, name=values.get("name") or "").first()

    def _check(self, values) -> dict:
        status = values.get("status") or "open"
        errors = {}
        if status in ("won", "lost") and not values.get("close_date"):
            errors["close_date"] = _("赢单或输单的商机须填写关闭日期。")
        if status == "lost" and not values.get("lost_reason"):
            errors["lost_reason"] = _("输单须填写输单原因（可在方案中设默认值）。")
        start = values.get("created_date") or values.get("stage_date")
        if start and values.get("close_date") and values["close_date"] < start:
            errors["close_date"] = _("关闭日期早于创建日期。")
        stage_day, created_day = values.get("stage_date"), values.get("created_date")
        if stage_day and created_day and stage_day < created_day:
            errors["stage_date"] = _("进入阶段日期早于创建日期。")
        if errors:
            raise ValidationError(errors)
        return {"status": status}

    def create(self, values, ctx, *, allow_duplicate):
        from salesflow.pipeline import services

        status = self._check(values)["status"]
        product = values.get("product")
        lines = [line.pk for line in (values.get("product_line"),) if line]
        if product is not None and product.product_line_id not in lines:
            lines.append(product.product_line_id)
        data = {k: values.get(k) for k in ("name", "amount", "expected_close_date", "description")}
        data = {k: v for k, v in data.items() if v is not None}
        if product is not None and data.get("description") is None:
            data["description"] = _("产品：%(name)s") % {"name": product.name}
        start_day = (
            values.get("created_date") or values.get("stage_date") or values.get("close_date")
        )
        created_at = day_start(start_day) if start_day else timezone.now()
        with transaction.atomic():
            opp = services.opportunity_create(
                actor=ctx.actor,
                customer_id=values["customer"].pk,
                data=data,
                template_id=_version(ctx).template_id,
                owner=values.get("owner"),
                product_line_ids=lines,
                now=created_at,
            )
            target = values.get("stage")
            if target is not None and target.order > opp.stage.order:
                stage_day = values.get("stage_date") or start_day
                at = day_start(stage_day, 10) if stage_day else created_at
                advance_historically(opp, target, actor=ctx.actor, at=max(at, created_at))
            if status in ("won", "lost"):
                closed_at = day_start(values["close_date"], 17)
                if status == "won":
                    # a past win: its contract is not in the system, so the win blockers
                    # (a linked signed contract) do not apply; the audit entry says so
                    services.opportunity_win(
                        actor=ctx.actor, opportunity_id=opp.pk, now=closed_at, historical=True
                    )
                else:
                    services.opportunity_lose(
                        actor=ctx.actor,
                        opportunity_id=opp.pk,
                        lost_reason_id=values["lost_reason"].pk,
                        now=closed_at,
                    )
        return WriteResult(opp, "created")

    def update(self, obj, values, ctx):
        """Updating changes the plain fields only; stage and status move through the pipeline's
        own actions (advance, win, lose) on the opportunity page."""
        from salesflow.pipeline import services

        data = {k: values.get(k) for k in ("name", "amount", "expected_close_date", "description")}
        data = {k: v for k, v in data.items() if v is not None}
        opp = services.opportunity_update(actor=ctx.actor, opportunity_id=obj.pk, data=data)
        return WriteResult(opp, "updated")


def advance_historically(opp, target, *, actor, at: datetime.datetime) -> None:
    """Record that the opportunity reached ``target`` at ``at`` — one advance event per stage
    passed, all at that moment, so that funnels count every stage it went through.

    This does not call ``opportunity_advance``: that action checks today's stage gate (the
    required outputs), and a deal that reached its stage years ago in a spreadsheet has no
    outputs in the system. The events are written with the pipeline's own event recorder and
    marked as imported history in their note and in the audit trail."""
    from salesflow.pipeline.models import StageEvent
    from salesflow.pipeline.services import _enter, _record

    note = _("导入的历史阶段")
    before = snapshot(opp, ["stage", "probability", "stage_due_at"])
    stages = list(
        opp.template_version.stages.filter(order__gt=opp.stage.order, order__lte=target.order)
    )
    for stage in stages:
        _record(opp, kind=StageEvent.Kind.ADVANCE, actor=actor, to_stage=stage, note=note, now=at)
        _enter(opp, stage, at)
    opp.save()
    audit(
        actor=actor,
        action="opportunity.advance",
        obj=opp,
        before=before,
        after=snapshot(opp, ["stage", "probability", "stage_due_at"]),
        message=note,
    )
