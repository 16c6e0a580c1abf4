"""Who approves what: the contract rules table, the discount chain of quotes and the credit
chain of orders, each turned into a list of Roles for ``core.approvals.approval_request``.

A step whose role has nobody who could decide it (the requester excluded, the approve right
and the data scope checked exactly as ``core.approvals.can_decide`` does) is left out and
named in the routing notes, so that a request never waits for nobody; if no step is left, the
escalation role (a setting, default 销售总监) decides instead, and with nobody there either the
request is refused with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from salesflow.core.errors import DomainError
from salesflow.core.scope import has_right, is_in_scope
from salesflow.core.settings_registry import get_setting
from salesflow.org.models import Role, User

from .models import ContractApprovalRule

#: Used when the rules table is empty (e.g. right after a test flushed the database); the data
#: migration writes the same rows for an administrator to edit.
DEFAULT_CONTRACT_RULES = [
    # (name, min amount, min discount %, chain, priority)
    ("常规合同", Decimal("0"), None, ["sales_manager"], 10),
    (
        "大额或大折扣合同",
        Decimal("500000"),
        Decimal("15"),
        ["sales_manager", "sales_director"],
        20,
    ),
    ("特大额合同", Decimal("1000000"), None, ["sales_manager", "sales_director", "finance"], 30),
]


@dataclass
class Route:
    roles: list[Role]
    rule_name: str = ""
    skipped: list[str] = field(default_factory=list)  # role names left out (nobody to decide)
    escalated: bool = False

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.roles]

    def note(self) -> str:
        parts = []
        if self.rule_name:
            parts.append(_("规则：%(name)s") % {"name": self.rule_name})
        if self.skipped:
            parts.append(_("无可审批人已跳过：%(roles)s") % {"roles": "、".join(self.skipped)})
        if self.escalated:
            parts.append(_("已升级审批"))
        return "；".join(parts)

    def payload(self) -> dict:
        return {
            "rule": self.rule_name,
            "chain": self.codes,
            "skipped": self.skipped,
            "escalated": self.escalated,
        }


def contract_rule_for(amount: Decimal, discount_pct: Decimal):
    """The matching rule of highest priority: ``(name, chain)``; ``("", [])`` when no rule
    matches (the contract then needs no approval)."""
    if ContractApprovalRule.objects.exists():
        rules = list(ContractApprovalRule.objects.filter(is_active=True))
    else:
        rules = [
            ContractApprovalRule(
                name=name,
                min_amount=amount_min,
                min_discount_pct=discount_min,
                chain=chain,
                priority=priority,
            )
            for name, amount_min, discount_min, chain, priority in DEFAULT_CONTRACT_RULES
        ]
    rules.sort(key=lambda rule: (-rule.priority, rule.pk or 0))
    for rule in rules:
        if rule.matches(amount, discount_pct):
            return rule.name, list(rule.chain)
    return "", []


def quote_chain_codes(max_discount_pct: Decimal) -> list[str]:
    """Discounts above the threshold need a 销售经理; above the director threshold, a 销售总监
    too. Exactly at a threshold needs nothing more."""
    codes = []
    if max_discount_pct > get_setting("deal.discount_approval_threshold"):
        codes.append("sales_manager")
    if max_discount_pct > get_setting("deal.discount_director_threshold"):
        codes.append("sales_director")
    return codes


def credit_chain_codes() -> list[str]:
    raw = str(get_setting("deal.credit_approval_roles") or "")
    return [code.strip() for code in raw.split(",") if code.strip()]


def can_approve(user: User, obj, object_type: str) -> bool:
    return has_right(user, object_type, "approve") and is_in_scope(user, obj, "view")


def _has_approver(role: Role, obj, object_type: str, actor) -> bool:
    users = User.objects.filter(roles=role, is_active=True).exclude(pk=getattr(actor, "pk", None))
    return any(can_approve(user, obj, object_type) for user in users)


def route(codes: list[str], *, obj, object_type: str, actor, rule_name: str = "") -> Route:
    """The roles of ``codes`` that someone can decide for ``obj`` (see the module docstring)."""
    roles = {role.code: role for role in Role.objects.filter(code__in=codes)}
    result = Route(roles=[], rule_name=rule_name)
    for code in codes:
        role = roles.get(code)
        if role is None:
            result.skipped.append(code)
        elif _has_approver(role, obj, object_type, actor):
            result.roles.append(role)
        else:
            result.skipped.append(role.name)
    if codes and not result.roles:
        code = str(get_setting("deal.approval_escalation_role") or "").strip()
        role = Role.objects.filter(code=code).first()
        if role is None or not _has_approver(role, obj, object_type, actor):
            raise DomainError(_("审批链中没有可以审批的人员，请联系管理员配置审批角色和权限。"))
        result.roles, result.escalated = [role], True
    return result
