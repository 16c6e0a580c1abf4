"""Customers and contacts, written through ``customers.services`` (rights, owner assignment
rules, PII rejection, duplicate keys, grading, audit)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salesflow.core.normalize import normalize_company_name, normalize_phone

from .base import Entity, FieldDef, WriteResult
from .refs import reference_resolver, resolve_customer, resolve_user

OWNER = FieldDef(
    "owner",
    _("负责人"),
    (
        "负责人",
        "所属销售",
        "销售",
        "业务员",
        "客户经理",
        "owner",
        "sales rep",
        "sales agent",
        "salesperson",
        "account manager",
    ),
    kind="ref",
    resolve=resolve_user,
    help=_("用户名或姓名；留空则归导入人。"),
)


def split_owner(values: dict):
    data = {k: v for k, v in values.items() if v is not None and k != "owner"}
    return data, values.get("owner")


class CustomerEntity(Entity):
    key = "customer"
    label = _("客户")
    object_type = "customer"
    model_label = "customers.customer"
    duplicate_key_label = _("公司名称（规范化后）或电话")
    fields = [
        FieldDef(
            "name",
            _("客户名称"),
            (
                "公司名称",
                "企业名称",
                "单位名称",
                "客户",
                "公司",
                "customer",
                "customer name",
                "company",
                "company name",
                "account",
                "account name",
            ),
            required=True,
            max_length=200,
        ),
        FieldDef(
            "industry",
            _("行业"),
            ("所属行业", "行业类别", "industry", "sector"),
            kind="ref",
            resolve=reference_resolver("customers.Industry", "industry"),
        ),
        FieldDef(
            "region",
            _("区域"),
            ("地区", "所在区域", "region", "area"),
            kind="ref",
            resolve=reference_resolver("customers.Region", "region"),
        ),
        FieldDef("employees", _("员工人数"), ("人数", "员工数", "employees", "staff"), kind="int"),
        FieldDef(
            "annual_revenue",
            _("年营业额（万元）"),
            ("年营业额", "营业额", "年营收", "营收", "revenue", "annual revenue"),
            kind="decimal",
        ),
        FieldDef("address", _("地址"), ("公司地址", "address"), max_length=200),
        FieldDef("website", _("网站"), ("官网", "网址", "website", "web"), max_length=200),
        FieldDef(
            "phone",
            _("总机"),
            ("电话", "公司电话", "联系电话", "phone", "telephone", "tel"),
            max_length=40,
        ),
        FieldDef(
            "expected_annual_value",
            _("预计年采购额（元）"),
            ("预计年采购额", "年采购额", "expected annual value"),
            kind="decimal",
        ),
        FieldDef("service_needs", _("服务需求"), ("service needs",)),
        FieldDef("notes", _("备注"), ("说明", "notes", "remark", "remarks", "comment")),
        OWNER,
    ]

    def find(self, values, ctx):
        from salesflow.customers.models import Customer

        key = normalize_company_name(values.get("name") or "")
        return Customer.objects.filter(name_key=key).order_by("id").first() if key else None

    def create(self, values, ctx, *, allow_duplicate):
        from salesflow.customers.services import customer_create

        data, owner = split_owner(values)
        customer = customer_create(
            actor=ctx.actor, data=data, owner=owner, confirm_duplicate=allow_duplicate
        )
        ctx.forget("customer")
        return WriteResult(customer, "created")

    def update(self, obj, values, ctx):
        from salesflow.customers.services import customer_update

        data, _owner = split_owner(values)
        customer = customer_update(
            actor=ctx.actor, customer_id=obj.pk, data=data, confirm_duplicate=True
        )
        return WriteResult(customer, "updated")


class ContactEntity(Entity):
    key = "contact"
    label = _("联系人")
    object_type = "contact"
    model_label = "customers.contact"
    duplicate_key_label = _("同一客户下的手机号，或姓名")
    fields = [
        FieldDef(
            "customer",
            _("客户名称"),
            ("客户", "公司名称", "所属客户", "customer", "company", "account"),
            kind="ref",
            required=True,
            resolve=resolve_customer,
        ),
        FieldDef(
            "name",
            _("姓名"),
            ("联系人", "联系人姓名", "name", "contact", "contact name"),
            required=True,
            max_length=50,
        ),
        FieldDef("title", _("职务"), ("职位", "title", "position", "job title"), max_length=50),
        FieldDef(
            "decision_role",
            _("决策角色"),
            ("角色", "decision role", "role"),
            kind="choice",
            choices=None,  # filled from the model at import time
        ),
        FieldDef(
            "phone", _("手机"), ("手机号", "电话", "联系电话", "mobile", "phone"), max_length=40
        ),
        FieldDef("email", _("邮箱"), ("电子邮件", "email", "e-mail", "mail")),
        FieldDef("wechat", _("微信"), ("微信号", "wechat"), max_length=50),
        FieldDef("is_primary", _("主要联系人"), ("primary", "is primary"), kind="bool"),
        FieldDef("notes", _("备注"), ("notes", "remark")),
    ]

    def __init__(self):
        from salesflow.customers.models import DecisionRole

        self.field("decision_role").choices = dict(DecisionRole.choices)

    def find(self, values, ctx):
        from salesflow.customers.models import Contact

        customer = values.get("customer")
        if customer is None:
            return None
        contacts = Contact.objects.filter(customer=customer)
        phone = normalize_phone(values.get("phone") or "")
        if phone:
            return contacts.filter(phone_key=phone).first()
        return contacts.filter(name=values.get("name") or "").first()

    def create(self, values, ctx, *, allow_duplicate):
        from salesflow.customers.services import contact_add

        data = {k: v for k, v in values.items() if v is not None and k != "customer"}
        contact = contact_add(actor=ctx.actor, customer_id=values["customer"].pk, data=data)
        return WriteResult(contact, "created")

    def update(self, obj, values, ctx):
        from salesflow.customers.services import contact_update

        data = {k: v for k, v in values.items() if v is not None and k != "customer"}
        return WriteResult(contact_update(actor=ctx.actor, contact_id=obj.pk, data=data), "updated")
