"""Turning a cell's text into a record: users by username or name, reference-list items by
name (created on request, and then listed in the report), customers and products by name."""

from __future__ import annotations

from django.utils.translation import gettext as _

from salesflow.core.normalize import normalize_company_name

from .base import CellError


class ImportContext:
    """What one run shares between rows: the acting user, the profile options and lookup
    caches (a 20,000-row file must not look up the same owner 20,000 times)."""

    def __init__(self, *, actor, options: dict | None = None, dry_run: bool = False):
        self.actor = actor
        self.options = options or {}
        self.dry_run = dry_run
        self._cache: dict = {}
        self.created_references: list[str] = []
        self.run = None  # the ImportRun being written, when there is one

    def cached(self, kind: str, key: str, load):
        bucket = self._cache.setdefault(kind, {})
        if key not in bucket:
            bucket[key] = load()
        return bucket[key]

    def forget(self, kind: str) -> None:
        self._cache.pop(kind, None)

    def may_create(self, field_name: str) -> bool:
        return field_name in set(self.options.get("create_missing") or [])


def resolve_user(text: str, ctx: ImportContext):
    from salesflow.org.models import User

    def load():
        users = User.objects.filter(is_active=True)
        found = list(users.filter(username__iexact=text)[:2]) or list(
            users.filter(display_name=text)[:2]
        )
        return found

    found = ctx.cached("user", text.lower(), load)
    if not found:
        raise CellError(_("找不到用户“%(v)s”（按用户名或姓名查找）。") % {"v": text})
    if len(found) > 1:
        raise CellError(_("有多个用户叫“%(v)s”，请改填用户名。") % {"v": text})
    return found[0]


def reference_resolver(model_path: str, field_name: str):
    """A resolver for an administrator-edited list (industry, region, product line …)."""

    def resolve(text: str, ctx: ImportContext):
        from django.apps import apps

        model = apps.get_model(model_path)

        def load():
            return model.objects.filter(name__iexact=text).first()

        item = ctx.cached(model_path, text.lower(), load)
        if item is None and ctx.may_create(field_name):
            item = model.objects.create(name=text[:50])
            ctx._cache[model_path][text.lower()] = item
            ctx.created_references.append(f"{model._meta.verbose_name}：{text}")
        if item is None:
            names = "、".join(
                model.objects.filter(is_active=True).values_list("name", flat=True)[:20]
            )
            raise CellError(
                _("“%(v)s”不在%(list)s列表中（可选：%(names)s）。")
                % {"v": text, "list": model._meta.verbose_name, "names": names}
            )
        return item

    return resolve


def resolve_customer(text: str, ctx: ImportContext):
    """A customer by its normalised name, inside the importing user's view scope; one outside
    it is reported without its details."""
    from salesflow.customers.models import Customer

    key = normalize_company_name(text)

    def load():
        return Customer.objects.filter(name_key=key).order_by("id").first()

    customer = ctx.cached("customer", key, load)
    if customer is None:
        raise CellError(_("找不到客户“%(v)s”。") % {"v": text})
    visible = ctx.cached(
        "customer_visible",
        str(customer.pk),
        lambda: Customer.objects.restrict(ctx.actor, "view").filter(pk=customer.pk).exists(),
    )
    if not visible:
        raise CellError(_("客户“%(v)s”不在你的数据范围内。") % {"v": text})
    return customer


def resolve_product(text: str, ctx: ImportContext):
    from salesflow.deals.models import Product

    def load():
        return list(Product.objects.filter(name__iexact=text).select_related("product_line")[:2])

    found = ctx.cached("product", text.lower(), load)
    if not found:
        raise CellError(_("找不到产品“%(v)s”。") % {"v": text})
    if len(found) > 1:
        raise CellError(_("多个产品线下都有“%(v)s”，请改填产品编码。") % {"v": text})
    return found[0]


def resolve_department(text: str, ctx: ImportContext):
    from salesflow.org.models import Department

    def load():
        return list(Department.objects.filter(name=text, is_active=True)[:2])

    found = ctx.cached("department", text, load)
    if not found:
        raise CellError(_("找不到部门“%(v)s”。") % {"v": text})
    if len(found) > 1:
        raise CellError(_("有多个部门叫“%(v)s”。") % {"v": text})
    return found[0]
