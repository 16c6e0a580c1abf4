"""Products, written through ``deals.services.product_create``/``product_update``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import Entity, FieldDef, WriteResult
from .refs import reference_resolver


class ProductEntity(Entity):
    key = "product"
    label = _("产品")
    object_type = "product"
    model_label = "deals.product"
    duplicate_key_label = _("产品编码，或产品名称")
    fields = [
        FieldDef(
            "name",
            _("产品名称"),
            ("产品", "名称", "品名", "product", "product name", "name"),
            required=True,
            max_length=100,
        ),
        FieldDef(
            "product_line",
            _("产品线"),
            ("产品系列", "系列", "product line", "series", "line"),
            kind="ref",
            required=True,
            resolve=reference_resolver("pipeline.ProductLine", "product_line"),
        ),
        FieldDef("code", _("产品编码"), ("编码", "货号", "code", "sku"), max_length=40),
        FieldDef("specs", _("规格"), ("规格型号", "型号", "specs", "specification")),
        FieldDef("unit", _("单位"), ("unit",), max_length=10),
        FieldDef(
            "list_price",
            _("标准价（元）"),
            ("标准价", "单价", "价格", "售价", "price", "list price", "sales price"),
            kind="decimal",
            required=True,
        ),
        FieldDef(
            "standard_cost",
            _("标准成本（元）"),
            ("标准成本", "成本", "cost"),
            kind="decimal",
            required=True,
            help=_("没有成本数据时可在方案中设默认值 0。"),
        ),
        FieldDef("is_active", _("在售"), ("是否在售", "active"), kind="bool"),
    ]

    def find(self, values, ctx):
        from salesflow.deals.models import Product

        if values.get("code"):
            return Product.objects.filter(code=values["code"]).first()
        return Product.objects.filter(name__iexact=values.get("name") or "").first()

    def create(self, values, ctx, *, allow_duplicate):
        from salesflow.deals.services import product_create

        data = {k: v for k, v in values.items() if v is not None}
        product = product_create(actor=ctx.actor, data=data)
        ctx.forget("product")
        return WriteResult(product, "created")

    def update(self, obj, values, ctx):
        from salesflow.deals.services import product_update

        data = {k: v for k, v in values.items() if v is not None}
        return WriteResult(product_update(actor=ctx.actor, product_id=obj.pk, data=data), "updated")
