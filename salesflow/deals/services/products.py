"""The product catalog (产品档案): create and change, with rights and audit."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from salesflow.core.audit import audit, snapshot
from salesflow.core.pii import reject_sensitive

from ..models import Product
from .common import require

PRODUCT_FIELDS = (
    "product_line",
    "code",
    "name",
    "specs",
    "unit",
    "list_price",
    "standard_cost",
    "is_active",
)


def _validate(product: Product) -> None:
    reject_sensitive({"name": product.name, "specs": product.specs, "code": product.code})
    product.full_clean()


def product_create(*, actor, data: dict) -> Product:
    require(actor, "product", "add", _("没有新增产品的权限。"))
    product = Product(**{k: v for k, v in data.items() if k in PRODUCT_FIELDS})
    _validate(product)
    with transaction.atomic():
        product.save()
        audit(actor=actor, action="product.create", obj=product, after=snapshot(product))
    return product


def product_update(*, actor, product_id: int, data: dict) -> Product:
    """Prices of existing quotes are snapshots: a new list price applies to lines written
    from now on."""
    require(actor, "product", "change", _("没有修改产品的权限。"))
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product_id)
        before = snapshot(product)
        for key, value in data.items():
            if key in PRODUCT_FIELDS:
                setattr(product, key, value)
        _validate(product)
        product.save()
        audit(
            actor=actor,
            action="product.change",
            obj=product,
            before=before,
            after=snapshot(product),
        )
    return product
