"""Customers (客户档案), contacts, reference lists, grading history and the 公海 pool (SPEC S2)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core import scope
from salesflow.core.collab import SoftDeleteModel, collaborator_extra, collaborator_ids
from salesflow.core.models import ReferenceItem

MONEY = {"max_digits": 14, "decimal_places": 2}


class Industry(ReferenceItem):
    """行业 — an administrator-edited list (制造业 / 零售业 / 服务业 / …)."""

    class Meta(ReferenceItem.Meta):
        verbose_name = _("行业")
        verbose_name_plural = _("行业")


class Region(ReferenceItem):
    """区域 — 华东 / 华南 / 华北 / …"""

    class Meta(ReferenceItem.Meta):
        verbose_name = _("区域")
        verbose_name_plural = _("区域")


class Grade(models.TextChoices):
    A = "A", _("A类（战略客户）")
    B = "B", _("B类（重要客户）")
    C = "C", _("C类（潜力客户）")


class GradeSource(models.TextChoices):
    ORDERS = "orders", _("近12个月订单")
    EXPECTED = "expected", _("预计年采购额")
    MANUAL = "manual", _("人工调整")


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", _("潜在客户")
    NEW = "new", _("新客户")
    OLD = "old", _("老客户")
    LOST = "lost", _("流失客户")


class Tier(models.TextChoices):
    VIP = "vip", _("VIP客户")
    KEY = "key", _("重点客户")
    NORMAL = "normal", _("普通客户")


class CreditRating(models.TextChoices):
    AAA = "AAA", "AAA"
    AA = "AA", "AA"
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class CustomerPool(models.Model):
    """公海. A pool with a department serves that department's subtree; without one, the whole
    company. Empty limits fall back to the settings registry."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("留空表示全公司公海；指定部门则只对该部门及下级部门开放。"),
    )
    recycle_days = models.PositiveIntegerField(
        _("回收天数"), null=True, blank=True, help_text=_("留空使用系统设置“公海回收天数”。")
    )
    claim_limit = models.PositiveIntegerField(
        _("领取上限"),
        null=True,
        blank=True,
        help_text=_("留空使用系统设置“每人可领取公海客户上限”。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("公海")
        verbose_name_plural = _("公海")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


@scope.register(object_type="customer", extra=collaborator_extra("customers.customer"))
class Customer(SoftDeleteModel):
    name = models.CharField(_("客户名称"), max_length=200)
    name_key = models.CharField(_("查重名称"), max_length=200, editable=False, db_index=True)
    industry = models.ForeignKey(
        Industry, verbose_name=_("行业"), null=True, blank=True, on_delete=models.PROTECT
    )
    region = models.ForeignKey(
        Region, verbose_name=_("区域"), null=True, blank=True, on_delete=models.PROTECT
    )
    employees = models.PositiveIntegerField(_("员工人数"), null=True, blank=True)
    annual_revenue = models.DecimalField(
        _("年营业额（万元）"),
        null=True,
        blank=True,
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    website = models.CharField(_("网站"), max_length=200, blank=True)
    phone = models.CharField(_("总机"), max_length=40, blank=True)
    phone_key = models.CharField(max_length=40, editable=False, blank=True, db_index=True)
    service_needs = models.TextField(_("服务需求"), blank=True)
    notes = models.TextField(_("备注"), blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
        help_text=_("为空表示在公海中。"),
    )
    team = models.ForeignKey(
        "org.Department",
        verbose_name=_("所属团队"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    grade = models.CharField(_("价值分级"), max_length=1, choices=Grade.choices, default=Grade.C)
    grade_source = models.CharField(
        _("分级依据"), max_length=10, choices=GradeSource.choices, default=GradeSource.EXPECTED
    )
    expected_annual_value = models.DecimalField(
        _("预计年采购额（元）"),
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        **MONEY,
    )
    purchases_12m = models.DecimalField(
        _("近12个月采购额（元）"), default=Decimal(0), editable=False, **MONEY
    )
    first_deal_at = models.DateTimeField(_("首次成交时间"), null=True, blank=True)
    lost_at = models.DateTimeField(_("流失时间"), null=True, blank=True)
    tier = models.CharField(_("维护等级"), max_length=10, choices=Tier.choices, default=Tier.NORMAL)
    credit_rating = models.CharField(
        _("信用等级"), max_length=3, choices=CreditRating.choices, blank=True
    )
    credit_limit = models.DecimalField(
        _("信用额度（元）"), default=Decimal(0), validators=[MinValueValidator(Decimal(0))], **MONEY
    )

    pool = models.ForeignKey(
        CustomerPool, verbose_name=_("公海"), null=True, blank=True, on_delete=models.PROTECT
    )
    pooled_at = models.DateTimeField(_("进入公海时间"), null=True, blank=True)
    owned_since = models.DateTimeField(_("领取/分配时间"), null=True, blank=True)
    last_followup_at = models.DateTimeField(_("最近跟进"), null=True, blank=True, db_index=True)
    next_followup_due_at = models.DateTimeField(
        _("下次跟进"),
        null=True,
        blank=True,
        help_text=_("由跟进节奏计算：等级、生命周期和意向中最频繁的一条规则。"),
    )

    source_lead_id = models.BigIntegerField(_("来源线索"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "-id"], name="customer_owner_idx"),
            models.Index(fields=["grade", "-id"], name="customer_grade_idx"),
            models.Index(fields=["pool", "pooled_at"], name="customer_pool_idx"),
            models.Index(fields=["owner", "next_followup_due_at"], name="customer_cadence_idx"),
            models.Index(
                fields=["grade", "owner"],
                name="customer_live_grade_owner_idx",
                condition=Q(deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def lifecycle(self) -> str:
        from .rules import lifecycle_of

        return lifecycle_of(self)


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("决策者")
    INFLUENCER = "influencer", _("影响者")
    USER = "user", _("使用者")
    PURCHASER = "purchaser", _("采购者")
    OTHER = "other", _("其他")


@scope.register(
    object_type="contact",
    owner_field="customer__owner",
    extra=lambda user, action: _contact_extra(user, action),
)
class Contact(SoftDeleteModel):
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=50)
    title = models.CharField(_("职务"), max_length=50, blank=True)
    decision_role = models.CharField(
        _("决策链角色"), max_length=20, choices=DecisionRole.choices, default=DecisionRole.OTHER
    )
    phone = models.CharField(_("手机"), max_length=40, blank=True)
    phone_key = models.CharField(max_length=40, editable=False, blank=True, db_index=True)
    email = models.EmailField(_("邮箱"), blank=True)
    email_key = models.CharField(max_length=254, editable=False, blank=True, db_index=True)
    wechat = models.CharField(_("微信"), max_length=50, blank=True)
    is_primary = models.BooleanField(_("主要联系人"), default=False)
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.name


def _contact_extra(user, action):
    # A collaborator on the customer sees its contacts too.
    from django.db.models import Q

    ids = collaborator_ids("customers.customer", user, action)
    return Q(customer_id__in=ids) if ids else None


class GradeChange(models.Model):
    """History of a customer's ABC grade: every recompute or override that changed it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="grade_changes")
    from_grade = models.CharField(_("原等级"), max_length=1, blank=True)
    to_grade = models.CharField(_("新等级"), max_length=1)
    source = models.CharField(_("依据"), max_length=10, choices=GradeSource.choices)
    amount = models.DecimalField(_("依据金额（元）"), default=Decimal(0), **MONEY)
    reason = models.TextField(_("原因"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("分级变更")
        verbose_name_plural = _("分级变更")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_grade}→{self.to_grade}"


class OwnershipEvent(models.Model):
    """Who owned a customer when: assignment, claim from the pool, return to the pool."""

    class Kind(models.TextChoices):
        CREATE = "create", _("创建")
        ASSIGN = "assign", _("分配")
        CLAIM = "claim", _("领取")
        RETURN = "return", _("退回公海")
        RECYCLE = "recycle", _("自动回收")
        MERGE = "merge", _("合并")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="ownership_events"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    pool = models.ForeignKey(CustomerPool, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("原因"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("归属变更")
        verbose_name_plural = _("归属变更")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["to_owner", "kind", "at"], name="ownership_claims_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind}"
