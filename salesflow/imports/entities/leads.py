"""Leads, registered through ``leads.services.lead_register`` (PII rejection, duplicate keys
against leads and customers, assignment rules and caps, audit)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core.normalize import normalize_company_name

from .base import Entity, FieldDef, WriteResult
from .customers import OWNER
from .refs import reference_resolver


def day_start(day: datetime.date, hour: int = 9) -> datetime.datetime:
    """A date from a sheet as a moment of the company's working day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


class LeadEntity(Entity):
    key = "lead"
    label = _("线索")
    object_type = "lead"
    model_label = "leads.lead"
    duplicate_key_label = _("公司名称（规范化后）、电话或邮箱")
    fields = [
        FieldDef(
            "company_name",
            _("公司名称"),
            ("企业名称", "客户名称", "单位名称", "公司", "company", "company name", "account"),
            required=True,
            max_length=200,
        ),
        FieldDef(
            "contact_name",
            _("联系人"),
            ("联系人姓名", "姓名", "contact", "contact name", "name"),
            required=True,
            max_length=50,
        ),
        FieldDef("contact_title", _("联系人职务"), ("职务", "职位", "title"), max_length=50),
        FieldDef(
            "phone", _("联系电话"), ("电话", "手机", "手机号", "phone", "mobile"), max_length=40
        ),
        FieldDef("email", _("邮箱"), ("电子邮件", "email", "e-mail")),
        FieldDef(
            "needs", _("需求描述"), ("需求", "客户需求", "needs", "requirement"), required=True
        ),
        FieldDef(
            "source",
            _("线索来源"),
            ("来源", "渠道", "source", "lead source", "channel"),
            kind="ref",
            required=True,
            resolve=reference_resolver("leads.LeadSource", "source"),
        ),
        FieldDef(
            "industry",
            _("行业"),
            ("所属行业", "industry", "sector"),
            kind="ref",
            resolve=reference_resolver("customers.Industry", "industry"),
        ),
        FieldDef(
            "region",
            _("区域"),
            ("地区", "region"),
            kind="ref",
            resolve=reference_resolver("customers.Region", "region"),
        ),
        FieldDef("employees", _("员工人数"), ("人数", "employees"), kind="int"),
        FieldDef(
            "annual_revenue", _("年营业额（万元）"), ("年营业额", "营收", "revenue"), kind="decimal"
        ),
        FieldDef(
            "acquired_at",
            _("获取时间"),
            ("获取日期", "登记日期", "acquired", "date"),
            kind="date",
            help=_("留空则为导入当天。"),
        ),
        FieldDef(
            "expected_purchase", _("预计采购时间"), ("预计采购", "expected purchase"), kind="date"
        ),
        FieldDef("budget_min", _("预算下限（元）"), ("预算下限", "budget min"), kind="decimal"),
        FieldDef(
            "budget_max",
            _("预算上限（元）"),
            ("预算上限", "预算", "budget", "budget max"),
            kind="decimal",
        ),
        FieldDef("notes", _("备注"), ("说明", "notes", "remark")),
        OWNER,
    ]

    def find(self, values, ctx):
        from salesflow.leads.models import Lead

        key = normalize_company_name(values.get("company_name") or "")
        return Lead.objects.filter(name_key=key).order_by("id").first() if key else None

    def create(self, values, ctx, *, allow_duplicate):
        from salesflow.leads.services import lead_register

        data = {k: v for k, v in values.items() if v is not None and k != "owner"}
        data["acquired_at"] = (
            day_start(data["acquired_at"]) if data.get("acquired_at") else timezone.now()
        )
        lead = lead_register(
            actor=ctx.actor,
            data=data,
            owner=values.get("owner"),
            confirm_duplicate=allow_duplicate,
        )
        return WriteResult(lead, "created")

    def update(self, obj, values, ctx):
        from salesflow.leads.services import lead_update

        data = {k: v for k, v in values.items() if v is not None and k != "owner"}
        if data.get("acquired_at"):
            data["acquired_at"] = day_start(data["acquired_at"])
        lead = lead_update(actor=ctx.actor, lead_id=obj.pk, data=data, confirm_duplicate=True)
        return WriteResult(lead, "updated")
