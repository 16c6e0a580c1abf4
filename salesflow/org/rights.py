"""The vocabulary of rights: object types, actions and data scopes.

A role grants actions on object types, each with a data scope. The catalogue lists every
object type of the product (SPEC "Roles"), so that an administrator can set rights for a module
before its data exists; domain apps register their models against these keys in
``salesflow.core.scope``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    VIEW = "view", _("查看")
    ADD = "add", _("新增")
    CHANGE = "change", _("修改")
    DELETE = "delete", _("删除")
    EXPORT = "export", _("导出")
    APPROVE = "approve", _("审批")
    ASSIGN = "assign", _("分配")
    VIEW_CONTACT = "view_contact", _("查看联系方式")


class DataScope(models.TextChoices):
    """Ordered from narrowest to widest; a user with several roles gets the widest."""

    OWN = "own", _("本人")
    SUBORDINATES = "subordinates", _("本人及下属")
    DEPARTMENT = "department", _("本部门")
    DEPARTMENT_TREE = "department_tree", _("本部门及下级部门")
    COMPANY = "company", _("全公司")


SCOPE_ORDER = {scope: rank for rank, scope in enumerate(DataScope.values)}


def widest_scope(scopes):
    scopes = [s for s in scopes if s]
    return max(scopes, key=SCOPE_ORDER.__getitem__) if scopes else None


# key -> label. Keys are stable identifiers stored in RolePermission rows.
OBJECT_TYPES: dict[str, str] = {
    "lead": _("线索"),
    "lead_pool": _("未分配线索"),
    "customer": _("客户"),
    "contact": _("联系人"),
    "opportunity": _("商机"),
    "followup": _("跟进记录"),
    "task": _("任务"),
    "product": _("产品"),
    "quote": _("报价"),
    "contract": _("合同"),
    "order": _("订单"),
    "receipt": _("回款"),
    "complaint": _("投诉"),
    "maintenance": _("客户维护"),
    "target": _("销售目标"),
    "report": _("报表与分析"),
    "knowledge": _("手册与知识库"),
    "pilot": _("流程试点"),
    "scorecard": _("考核评分卡"),
    "commission": _("提成结算单"),
    "contest": _("销售竞赛"),
    "plan": _("销售策略规划"),
    "meeting": _("复盘会议"),
    "training": _("培训"),
    "interview": _("流程访谈"),
    "org.user": _("用户"),
    "org.department": _("部门"),
    "org.role": _("角色与权限"),
    "core.setting": _("系统设置"),
    "core.calendar": _("工作日历"),
    "core.audit": _("审计日志"),
    "core.recycle": _("回收站"),
}

ALL_ACTIONS = list(Action.values)
