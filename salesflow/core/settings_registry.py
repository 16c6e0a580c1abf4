"""The settings registry: every business number of the product, typed, with the SPEC default.

Code reads values with ``get_setting(key)`` at the moment it needs them, so a change made by an
administrator applies to the next computation without a restart. Changes go through
``core.services.setting_change`` (reason required, history and audit kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .context import request_cache

TIME_WINDOWS_RE = re.compile(
    r"^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*(,\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*)*$"
)


@dataclass(frozen=True)
class SettingDef:
    key: str
    kind: str  # int | decimal | bool | str | rule | windows
    default: object
    label: str
    group: str
    help: str = ""
    min_value: Decimal | int | None = None
    max_value: Decimal | int | None = None
    choices: tuple = field(default_factory=tuple)

    def parse(self, raw):
        """Turn a stored or submitted value into the typed value, or raise ValidationError."""
        if self.kind == "int":
            try:
                value = int(str(raw).strip())
            except (TypeError, ValueError):
                raise ValidationError(_("请输入整数。")) from None
        elif self.kind == "decimal":
            try:
                value = Decimal(str(raw).strip())
            except (InvalidOperation, TypeError):
                raise ValidationError(_("请输入数字。")) from None
            if not value.is_finite():
                raise ValidationError(_("请输入数字。"))
        elif self.kind == "bool":
            if isinstance(raw, bool):
                value = raw
            elif str(raw).strip().lower() in {"1", "true", "on", "yes", "是"}:
                value = True
            elif str(raw).strip().lower() in {"0", "false", "off", "no", "否", ""}:
                value = False
            else:
                raise ValidationError(_("请选择是或否。"))
        elif self.kind == "rule":
            from .sla import parse_rule

            value = str(raw).strip()
            try:
                parse_rule(value)
            except ValueError as exc:
                raise ValidationError(_("时限规则无法识别：%(err)s"), params={"err": exc}) from None
        elif self.kind == "windows":
            value = str(raw).strip()
            if not TIME_WINDOWS_RE.match(value):
                raise ValidationError(_("格式应为 09:00-18:00，多个时段用逗号分隔。"))
            from .workcalendar import parse_windows

            try:
                parse_windows(value)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
        else:
            value = str(raw).strip()
        if self.choices and value not in self.choices:
            raise ValidationError(_("取值不在可选范围内。"))
        if self.min_value is not None and value < self.min_value:
            raise ValidationError(_("不能小于 %(v)s。"), params={"v": self.min_value})
        if self.max_value is not None and value > self.max_value:
            raise ValidationError(_("不能大于 %(v)s。"), params={"v": self.max_value})
        return value

    def to_json(self, value):
        return str(value) if isinstance(value, Decimal) else value


GROUPS = {
    "leads": _("线索"),
    "customers": _("客户与公海"),
    "pipeline": _("商机与阶段"),
    "followups": _("跟进与节奏"),
    "tasks": _("任务"),
    "deals": _("报价、合同与回款"),
    "service": _("客服与维护"),
    "reports": _("目标与报表"),
    "calendar": _("工作日历"),
    "security": _("安全"),
}

D = Decimal
_DEFS = [
    # S1 leads
    SettingDef(
        "lead.entry_sla",
        "rule",
        "24h",
        _("线索录入时限"),
        "leads",
        _("获取线索后须在此时限内录入系统（录入时间 − 获取时间）。"),
    ),
    SettingDef(
        "lead.screening_sla",
        "rule",
        "48h",
        _("线索筛选时限"),
        "leads",
        _("录入后须在此时限内完成评分分级。"),
    ),
    SettingDef(
        "lead.a_first_contact_sla",
        "rule",
        "24h",
        _("A类线索首次联系时限"),
        "leads",
        _("A类线索评级后须在此时限内首次联系。试点团队常缩短为 12h。"),
    ),
    SettingDef(
        "lead.assign_by_process_score",
        "bool",
        False,
        _("按过程得分加权分配线索"),
        "leads",
        _(
            "开启后，分配规则中每位成员的权重再乘以其最近一期已确认考核的过程得分（百分制，"
            "最低按 10 分计；没有考核记录的按 100 分计）。"
        ),
    ),
    SettingDef(
        "lead.needs_match_high_min", "int", 20, _("需求匹配度“高”下限"), "leads", min_value=0
    ),
    SettingDef(
        "lead.needs_match_medium_min", "int", 10, _("需求匹配度“中”下限"), "leads", min_value=0
    ),
    SettingDef(
        "lead.purchasing_power_high_min",
        "decimal",
        D("150000"),
        _("高购买力预算下限（元）"),
        "leads",
        _("预算区间下限达到此值视为购买力高。"),
        min_value=D(0),
    ),
    SettingDef(
        "lead.purchasing_power_medium_min",
        "decimal",
        D("50000"),
        _("中等购买力预算下限（元）"),
        "leads",
        min_value=D(0),
    ),
    SettingDef("lead.open_cap_per_person", "int", 200, _("每人未结线索上限"), "leads", min_value=1),
    # S2 customers
    SettingDef(
        "customer.grade_a_min_amount",
        "decimal",
        D("500000"),
        _("A类客户年采购额下限（元）"),
        "customers",
        min_value=D(0),
    ),
    SettingDef(
        "customer.grade_b_min_amount",
        "decimal",
        D("100000"),
        _("B类客户年采购额下限（元）"),
        "customers",
        min_value=D(0),
    ),
    SettingDef(
        "customer.new_customer_months",
        "int",
        3,
        _("新客户期（月）"),
        "customers",
        _("首次成交后不足此月数为新客户。"),
        min_value=1,
    ),
    SettingDef(
        "customer.pool_recycle_days",
        "int",
        30,
        _("公海回收天数"),
        "customers",
        _("客户超过此天数无跟进即退回公海。"),
        min_value=1,
    ),
    SettingDef(
        "customer.pool_claim_limit",
        "int",
        50,
        _("每人可领取公海客户上限"),
        "customers",
        min_value=1,
    ),
    SettingDef(
        "customer.tier_vip_min_amount",
        "decimal",
        D("500000"),
        _("VIP客户年额下限（元）"),
        "customers",
        min_value=D(0),
    ),
    SettingDef(
        "customer.tier_key_min_amount",
        "decimal",
        D("200000"),
        _("重点客户年额下限（元）"),
        "customers",
        min_value=D(0),
    ),
    # S3 pipeline
    SettingDef(
        "pipeline.stalled_followups",
        "int",
        3,
        _("停滞判定跟进次数"),
        "pipeline",
        _("自上次阶段变化后跟进达到此次数仍未推进，标记为停滞。"),
        min_value=1,
    ),
    # S4 follow-ups and cadence
    SettingDef(
        "followup.entry_sla",
        "rule",
        "2h",
        _("跟进记录录入时限"),
        "followups",
        _("沟通后须在此时限内录入跟进记录（工具箱更严格的规则为 1h）。"),
    ),
    SettingDef("cadence.grade_a", "rule", "7d", _("A类客户跟进频率"), "followups"),
    SettingDef("cadence.grade_b", "rule", "14d", _("B类客户跟进频率"), "followups"),
    SettingDef("cadence.grade_c", "rule", "30d", _("C类客户跟进频率"), "followups"),
    SettingDef(
        "cadence.new_customer_first_month", "rule", "7d", _("新客户成交当月跟进频率"), "followups"
    ),
    SettingDef(
        "cadence.new_customer", "rule", "15d", _("新客户之后跟进频率"), "followups", _("每月两次。")
    ),
    SettingDef("cadence.old_customer", "rule", "30d", _("老客户跟进频率"), "followups"),
    SettingDef("cadence.intent_high", "rule", "7d", _("高意向跟进频率"), "followups"),
    SettingDef("cadence.intent_medium", "rule", "14d", _("中意向跟进频率"), "followups"),
    SettingDef("cadence.intent_low", "rule", "30d", _("低意向跟进频率"), "followups"),
    SettingDef(
        "kpi.followup_completeness_target",
        "decimal",
        D("95"),
        _("跟进记录完整率目标（%）"),
        "followups",
        min_value=D(0),
        max_value=D(100),
    ),
    SettingDef(
        "kpi.lead_response_timeliness_target",
        "decimal",
        D("90"),
        _("线索响应及时率目标（%）"),
        "followups",
        min_value=D(0),
        max_value=D(100),
    ),
    SettingDef(
        "followup.required_fields",
        "str",
        "topic,summary,customer_words,next_step_action,next_step_due",
        _("跟进记录完整性必填项"),
        "followups",
        _(
            "这些字段都填写的跟进记录计为“完整”（逗号分隔的字段名，如 topic,summary,"
            "customer_words,objection_handling,needs_change,commitments,next_step_action,"
            "next_step_owner,next_step_due,risk,attachments）。"
        ),
    ),
    # S8 tasks
    SettingDef(
        "task.grade_excellent_min",
        "decimal",
        D("120"),
        _("任务“优”完成率下限（%）"),
        "tasks",
        min_value=D(0),
    ),
    SettingDef(
        "task.grade_good_min",
        "decimal",
        D("100"),
        _("任务“良”完成率下限（%）"),
        "tasks",
        min_value=D(0),
    ),
    SettingDef(
        "task.grade_fair_min",
        "decimal",
        D("80"),
        _("任务“中”完成率下限（%）"),
        "tasks",
        min_value=D(0),
    ),
    # S5 deals
    SettingDef(
        "deal.discount_approval_threshold",
        "decimal",
        D("10"),
        _("折扣审批阈值（%）"),
        "deals",
        _("报价折扣超过此百分比需要审批。"),
        min_value=D(0),
        max_value=D(100),
    ),
    SettingDef(
        "deal.order_change_warning_pct",
        "decimal",
        D("50"),
        _("月订单额突变预警（%）"),
        "deals",
        _("客户本月订单额较上月增减达到此百分比时预警。"),
        min_value=D(0),
    ),
    SettingDef(
        "deal.discount_director_threshold",
        "decimal",
        D("20"),
        _("折扣需总监审批阈值（%）"),
        "deals",
        _("报价折扣超过此百分比时，销售经理审批后还须销售总监审批。"),
        min_value=D(0),
        max_value=D(100),
    ),
    SettingDef(
        "deal.quote_validity_days",
        "int",
        30,
        _("报价默认有效天数"),
        "deals",
        min_value=1,
        max_value=365,
    ),
    SettingDef(
        "deal.win_requires_contract",
        "bool",
        True,
        _("赢单须有合同或订单"),
        "deals",
        _("开启后，商机须关联已签署的合同或有效订单才能标记赢单。"),
    ),
    SettingDef(
        "deal.credit_approval_roles",
        "str",
        "sales_director",
        _("超信用额度订单审批角色"),
        "deals",
        _("按顺序填写角色代码，逗号分隔（审批人须有订单的审批权限）。"),
    ),
    SettingDef(
        "deal.approval_escalation_role",
        "str",
        "sales_director",
        _("审批升级角色"),
        "deals",
        _("审批链中所有角色都没有可审批人时（如申请人本人就是唯一的经理），改由此角色审批。"),
    ),
    # S6 service
    SettingDef("complaint.forward_sla", "rule", "1h", _("投诉转交处理人时限"), "service"),
    SettingDef("complaint.plan_sla", "rule", "24h", _("投诉处理方案时限"), "service"),
    SettingDef("complaint.return_visit_sla", "rule", "2h", _("完成后回访时限"), "service"),
    SettingDef(
        "complaint.close_min_satisfaction",
        "int",
        4,
        _("投诉关闭所需满意度（1–5）"),
        "service",
        min_value=1,
        max_value=5,
    ),
    SettingDef("service.vip_response_sla", "rule", "2h", _("VIP问题响应时限"), "service"),
    SettingDef("service.vip_resolve_sla", "rule", "24h", _("VIP问题解决时限"), "service"),
    SettingDef("service.normal_response_sla", "rule", "4h", _("普通客户问题响应时限"), "service"),
    SettingDef(
        "service.improvement_satisfaction_below",
        "decimal",
        D("85"),
        _("满意度低于此值启动改进计划"),
        "service",
        min_value=D(0),
        max_value=D(100),
    ),
    SettingDef(
        "complaint.sla_working_time",
        "bool",
        True,
        _("投诉时限只计工作时间"),
        "service",
        _(
            "开启时，以小时计的投诉时限只计工作日的工作时间：周五晚上收到的投诉从下一个工作日上班起算。"
        ),
    ),
    SettingDef("service.key_response_sla", "rule", "4h", _("重点客户问题响应时限"), "service"),
    *(
        SettingDef(
            f"service.{tier}_goal_{goal}",
            "decimal",
            D(value),
            label,
            "service",
            min_value=D(0),
            max_value=D(100),
        )
        for tier, goal, value, label in (
            ("vip", "repurchase", 90, _("VIP客户复购率目标（%）")),
            ("key", "repurchase", 70, _("重点客户复购率目标（%）")),
            ("normal", "repurchase", 50, _("普通客户复购率目标（%）")),
            ("vip", "satisfaction", 95, _("VIP客户满意度目标")),
            ("key", "satisfaction", 90, _("重点客户满意度目标")),
            ("normal", "satisfaction", 85, _("普通客户满意度目标")),
        )
    ),
    SettingDef(
        "service.vip_goal_referrals",
        "int",
        2,
        _("VIP客户年转介绍目标（个）"),
        "service",
        min_value=0,
    ),
    *(
        SettingDef(
            f"service.{tier}_{kind}_per_year",
            "int",
            value,
            label,
            "service",
            _("生成维护计划时按此次数在一年内均匀安排，0 表示不安排。"),
            min_value=0,
            max_value=52,
        )
        for tier, kind, value, label in (
            ("vip", "visits", 4, _("VIP客户每年拜访次数")),
            ("key", "visits", 2, _("重点客户每年拜访次数")),
            ("normal", "visits", 0, _("普通客户每年拜访次数")),
            ("vip", "calls", 0, _("VIP客户每年电话回访次数")),
            ("key", "calls", 0, _("重点客户每年电话回访次数")),
            ("normal", "calls", 2, _("普通客户每年电话回访次数")),
            ("vip", "reports", 4, _("VIP客户每年行业报告次数")),
            ("key", "reports", 4, _("重点客户每年行业报告次数")),
            ("normal", "reports", 0, _("普通客户每年行业报告次数")),
        )
    ),
    SettingDef(
        "service.greeting_holidays",
        "str",
        "元旦,春节,中秋节,国庆节",
        _("节日问候的节日"),
        "service",
        _("逗号分隔；按工作日历中的节日名称匹配，在节前最后一个工作日安排问候。"),
    ),
    SettingDef(
        "service.gift_tiers",
        "str",
        "vip",
        _("节日送礼的维护等级"),
        "service",
        _("逗号分隔（vip、key、normal）；这些等级的客户节日问候改为送礼。"),
    ),
    SettingDef(
        "service.improvement_plan_sla",
        "rule",
        "5 working days",
        _("满意度改进计划时限"),
        "service",
        _("满意度低于阈值时生成的改进计划任务的截止时限。"),
    ),
    SettingDef(
        "service.churn_cycle_factor",
        "decimal",
        D("1.5"),
        _("流失预警：超过平均下单间隔的倍数"),
        "service",
        _("距上次下单超过“平均下单间隔 × 此倍数”仍未再下单，列为流失信号。"),
        min_value=D(1),
    ),
    SettingDef(
        "service.churn_default_cycle_days",
        "int",
        180,
        _("流失预警：只有一次订单时的预期下单间隔（天）"),
        "service",
        min_value=1,
    ),
    SettingDef(
        "service.churn_satisfaction_drop",
        "decimal",
        D("10"),
        _("流失预警：满意度下降分数"),
        "service",
        _("最近一次满意度调查比上一次低于此分数及以上，列为流失信号。"),
        min_value=D(0),
    ),
    # S7 / S12 reports
    SettingDef("report.weekly_due", "rule", "next Monday 12:00", _("周报截止"), "reports"),
    SettingDef(
        "report.monthly_due",
        "rule",
        "last working day of month 18:00",
        _("月报截止"),
        "reports",
        _("默认当月最后一个工作日 18:00（按工作日历）；可改为“月末 18:00”。"),
    ),
    SettingDef(
        "report.remind_before_hours",
        "decimal",
        D("24"),
        _("报告截止前提醒（小时）"),
        "reports",
        _("周报/月报截止前多少小时提醒尚未提交的销售；逾期未交的同时提醒其上级。"),
        min_value=D("1"),
        max_value=D("240"),
    ),
    SettingDef(
        "target.checkpoint_day",
        "int",
        5,
        _("目标跟踪检查日（每月几号前）"),
        "reports",
        _("上一周期结束后，在次月此日前（遇节假日顺延到下一个工作日）完成目标跟踪检查。"),
        min_value=1,
        max_value=28,
    ),
    SettingDef(
        "target.checkpoint_period",
        "str",
        "month",
        _("目标跟踪检查周期"),
        "reports",
        _("month：每月检查；quarter：每季度检查。"),
        choices=("month", "quarter"),
    ),
    SettingDef(
        "target.sum_check",
        "str",
        "block",
        _("目标分解合计校验"),
        "reports",
        _("block：下级目标合计与上级不一致时禁止保存；warn：允许保存但提示差额。"),
        choices=("block", "warn"),
    ),
    SettingDef(
        "funnel.target_lead_to_opportunity",
        "decimal",
        D("60"),
        _("线索→商机目标转化率（%）"),
        "reports",
        min_value=D(0),
        max_value=D(100),
    ),
    SettingDef(
        "funnel.target_opportunity_to_order",
        "decimal",
        D("50"),
        _("商机→订单目标转化率（%）"),
        "reports",
        min_value=D(0),
        max_value=D(100),
    ),
    SettingDef(
        "funnel.stage_targets",
        "str",
        "initial_contact:60,needs_analysis:70,solution:60,negotiation:60,won:50",
        _("各阶段目标转化率（%）"),
        "reports",
        _(
            "按阶段展开的漏斗中，每个阶段相对上一阶段的目标转化率，格式“阶段代码:百分比”，"
            "逗号分隔；won 表示最后一个阶段到赢单。未列出的阶段不设目标。"
        ),
    ),
    SettingDef(
        "analytics.summary_max_age_minutes",
        "int",
        15,
        _("管道汇总表有效时间（分钟）"),
        "reports",
        _(
            "后台任务每 5 分钟重建一次进行中管道汇总；汇总不超过此分钟数时，管道汇总分析读取汇总表，"
            "否则直接统计商机。设为 0 则始终直接统计。"
        ),
        min_value=0,
        max_value=1440,
    ),
    # calendar and security
    SettingDef(
        "calendar.work_hours",
        "windows",
        "09:00-18:00",
        _("工作时间"),
        "calendar",
        _("按工作时间计时的规则只计算这些时段，如 09:00-12:00,13:00-18:00。"),
    ),
    SettingDef(
        "sla.due_soon_hours",
        "decimal",
        D("4"),
        _("“即将到期”提前小时数"),
        "calendar",
        _("距截止不超过此小时数时，时限标记为“即将到期”。"),
        min_value=D("0"),
        max_value=D("720"),
    ),
    SettingDef(
        "core.recycle_days",
        "int",
        15,
        _("回收站保留天数"),
        "security",
        _("删除的线索、客户、联系人在回收站保留的天数，期满后永久清除。"),
        min_value=1,
        max_value=3650,
    ),
    SettingDef(
        "api.rate_limit_per_minute",
        "int",
        120,
        _("接口每分钟请求上限（每个令牌）"),
        "security",
        _("同一个接口令牌每分钟最多可发出的请求数，超出时返回 429 并告知等待秒数。"),
        min_value=1,
        max_value=100000,
    ),
    SettingDef(
        "import.background_rows",
        "int",
        2000,
        _("导入转入后台的行数"),
        "security",
        _("数据行数超过此值的导入文件在后台运行，页面显示进度条。"),
        min_value=1,
    ),
    SettingDef(
        "import.max_upload_mb",
        "int",
        20,
        _("导入文件大小上限（MB）"),
        "security",
        _("上传的 .xlsx、.xls 或 .csv 文件不得超过此大小。"),
        min_value=1,
        max_value=200,
    ),
    SettingDef(
        "import.bulk_min_rows",
        "int",
        500,
        _("客户导入批量写入的行数"),
        "security",
        _(
            "客户导入文件的数据行数超过此值时按每批两千行批量写入：校验与逐行导入相同，"
            "审计日志每批记一条（列出新建的客户）。"
        ),
        min_value=1,
    ),
    SettingDef(
        "session.idle_hours",
        "decimal",
        D("12"),
        _("空闲自动退出（小时）"),
        "security",
        min_value=D("0.25"),
        max_value=D("720"),
    ),
]

REGISTRY: dict[str, SettingDef] = {d.key: d for d in _DEFS}


def get_definition(key: str) -> SettingDef:
    try:
        return REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown setting {key!r}") from None


#: Override providers: ``provider(key, team, at) -> raw value | None``. A provider answers for
#: a team (a Department or its id, sub-departments included) at a moment; the first non-None
#: answer wins and is parsed by the setting's own definition. Process pilots register one.
#: Answers are memoised per (key, team, local date) for the request or job, so a provider's
#: answer must not change within a day (pilot periods are whole days).
_override_providers: list = []
_NO_OVERRIDE = object()


def register_override_provider(provider) -> None:
    if provider not in _override_providers:
        _override_providers.append(provider)


def _override(definition: SettingDef, team, at):
    from django.utils import timezone

    team_id = getattr(team, "pk", team)
    if team_id is None:
        return _NO_OVERRIDE
    at = at or timezone.now()
    memo = request_cache().setdefault("setting_overrides", {})
    memo_key = (definition.key, team_id, timezone.localdate(at))
    if memo_key not in memo:
        value = _NO_OVERRIDE
        for provider in _override_providers:
            raw = provider(definition.key, team, at)
            if raw is not None:
                value = definition.parse(raw)
                break
        memo[memo_key] = value
    return memo[memo_key]


def get_setting(key: str, *, team=None, at=None):
    """The typed value of ``key`` (read from the database, memoised per request/job).

    With ``team`` (a Department or its id), the value that applies to that team at ``at``
    (default now): a registered override (a running pilot) first, else the company value.
    Without ``team`` the company value."""
    definition = get_definition(key)
    if team is not None and _override_providers:
        value = _override(definition, team, at)
        if value is not _NO_OVERRIDE:
            return value
    cache = request_cache().setdefault("settings", {})
    if key in cache:
        return cache[key]
    from .models import SettingValue

    stored = SettingValue.objects.filter(key=key).values_list("value", flat=True).first()
    value = definition.default if stored is None else definition.parse(stored)
    cache[key] = value
    return value


def forget_cached_settings() -> None:
    request_cache().pop("settings", None)
    request_cache().pop("setting_overrides", None)
