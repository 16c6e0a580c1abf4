"""Blank tool templates (工具模板) as xlsx, generated from the live field definitions: the
models' verbose names, help texts and choices, the administrator-edited reference lists
(industries, lead sources, complaint types …), the active lead scorecard, the needs-match
thresholds, the stages of the process templates and their outputs' structured form fields.

Each sheet has a header row of field labels, a row of hints (type, required, allowed values,
help) and a drop-down (data validation) on every choice column. A module that is not installed
is skipped: its template is simply not offered.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesflow.core.models import ReferenceItem

DATA_ROWS = 500  # rows below the hints that get the drop-downs and number checks
INLINE_LIST_LIMIT = 250  # Excel's limit for an inline list is 255 characters


@dataclass
class Column:
    label: str
    kind: str
    required: bool = False
    choices: list[str] = field(default_factory=list)
    help: str = ""
    whole_range: tuple[int, int] | None = None  # an integer between two bounds

    def hint(self) -> str:
        parts = [self.kind, _("必填") if self.required else _("选填")]
        if self.choices:
            parts.append(_("可选：") + "/".join(self.choices))
        if self.whole_range:
            parts.append(
                _("%(low)s–%(high)s 的整数")
                % {"low": self.whole_range[0], "high": self.whole_range[1]}
            )
        if self.help:
            parts.append(str(self.help))
        return "；".join(parts)


@dataclass
class Sheet:
    columns: list[Column]
    rows: list[list] = field(default_factory=list)  # pre-filled first cells (e.g. stage names)
    notes: list[str] = field(default_factory=list)


@dataclass
class ToolTemplate:
    key: str
    title: str
    description: str
    build: Callable[[], Sheet]


# --- columns from live definitions ---------------------------------------------------------


def _kind_of(model_field) -> str:
    if model_field.choices or isinstance(model_field, models.BooleanField):
        return _("选择")
    if isinstance(model_field, models.ForeignKey):
        return _("选择") if issubclass(model_field.related_model, ReferenceItem) else _("文本")
    if isinstance(model_field, models.DateTimeField):
        return _("日期时间（YYYY-MM-DD HH:MM）")
    if isinstance(model_field, models.DateField):
        return _("日期（YYYY-MM-DD）")
    if isinstance(model_field, models.DecimalField):
        return _("数字")
    if isinstance(model_field, models.IntegerField):
        return _("整数")
    if isinstance(model_field, models.EmailField):
        return _("邮箱")
    if isinstance(model_field, models.TextField):
        return _("长文本")
    if isinstance(model_field, models.CharField):
        return _("文本（最多 %(n)s 字）") % {"n": model_field.max_length}
    return _("文本")


def _choices_of(model_field) -> list[str]:
    if isinstance(model_field, models.BooleanField):
        return [_("是"), _("否")]
    if model_field.choices:
        return [str(label) for value, label in model_field.flatchoices if value != ""]
    if isinstance(model_field, models.ForeignKey) and issubclass(
        model_field.related_model, ReferenceItem
    ):
        return list(
            model_field.related_model.objects.filter(is_active=True)
            .order_by("sort_order", "id")
            .values_list("name", flat=True)
        )
    return []


def _range_of(model_field) -> tuple[int, int] | None:
    low = high = None
    for validator in model_field.validators:
        if isinstance(validator, MinValueValidator):
            low = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            high = validator.limit_value
    if isinstance(model_field, models.IntegerField) and low is not None and high is not None:
        return int(low), int(high)
    return None


def model_column(model, name: str, *, required=None, help=None, label=None) -> Column:
    """A column from one model field's live definition."""
    model_field = model._meta.get_field(name)
    is_required = not model_field.blank if required is None else required
    text = model_field.help_text if help is None else help
    if isinstance(model_field, models.ForeignKey) and not _choices_of(model_field):
        text = text or _("填写%(name)s的名称。") % {"name": model_field.verbose_name}
    return Column(
        label=str(label or model_field.verbose_name),
        kind=_kind_of(model_field),
        required=is_required,
        choices=_choices_of(model_field),
        help=str(text or ""),
        whole_range=_range_of(model_field),
    )


def model_columns(model, names, **overrides) -> list[Column]:
    return [model_column(model, name, **overrides.get(name, {})) for name in names]


def form_field_column(spec: dict) -> Column:
    """A column from a stage output's structured form field (``StageOutput.form_fields``)."""
    kinds = {
        "text": _("文本"),
        "textarea": _("长文本"),
        "number": _("数字"),
        "date": _("日期（YYYY-MM-DD）"),
        "choice": _("选择"),
    }
    kind = spec.get("type") or "text"
    return Column(
        label=str(spec.get("label") or spec.get("name") or ""),
        kind=kinds.get(kind, _("文本")),
        required=bool(spec.get("required")),
        choices=[str(c) for c in spec.get("choices") or []] if kind == "choice" else [],
        help=str(spec.get("help") or ""),
    )


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


# --- the templates -------------------------------------------------------------------------


def _customer_info() -> Sheet:
    from salesflow.leads.forms import LEAD_FORM_FIELDS
    from salesflow.leads.models import Lead

    return Sheet(
        model_columns(Lead, LEAD_FORM_FIELDS),
        notes=[_("与系统中的“登记线索”表单字段一致，可整理后通过“导入”批量录入。")],
    )


def _lead_score() -> Sheet | None:
    from salesflow.leads.models import Intent, Lead, LeadGrade, Scorecard

    scorecard = (
        Scorecard.objects.filter(is_active=True).prefetch_related("criteria__options").first()
    )
    if scorecard is None:
        return None
    columns = [model_column(Lead, "company_name")]
    for criterion in scorecard.criteria.all():
        columns.append(
            Column(
                label=criterion.name,
                kind=_("选择"),
                required=True,
                choices=[
                    _("%(label)s（%(points)s分）") % {"label": o.label, "points": o.points}
                    for o in criterion.options.all()
                ],
            )
        )
    columns.append(
        Column(
            label=_("总分"),
            kind=_("整数"),
            required=True,
            help=_("各评分项得分之和：≥%(a)s 分为A类，≥%(b)s 分为B类，其余为C类。")
            % {"a": scorecard.a_min, "b": scorecard.b_min},
        )
    )
    columns.append(
        Column(_("线索等级"), _("选择"), True, [str(label) for _v, label in LeadGrade.choices])
    )
    columns.append(
        Column(_("意向等级"), _("选择"), True, [str(label) for _v, label in Intent.choices])
    )
    return Sheet(
        columns,
        notes=[_("评分项与分值取自当前启用的评分表：%(name)s。") % {"name": scorecard.name}],
    )


def _needs_match() -> Sheet:
    from salesflow.core.settings_registry import get_setting
    from salesflow.leads.models import NeedsAssessment, NeedsItem

    high, medium = (
        get_setting("lead.needs_match_high_min"),
        get_setting("lead.needs_match_medium_min"),
    )
    columns = model_columns(NeedsItem, ["need", "score", "reason"])
    columns += model_columns(
        NeedsAssessment,
        ["total", "band", "purchasing_power", "conclusion", "strategy"],
        total={"help": _("各项匹配分之和。")},
        band={
            "help": _(
                "总分 ≥%(high)s 为高匹配，%(medium)s–%(below)s 为中匹配，低于 %(medium)s 为低匹配。"
            )
            % {"high": high, "medium": medium, "below": high - 1}
        },
    )
    return Sheet(columns, notes=[_("每行一项核心需求；对照公司优势给 1–5 分并写明理由。")])


def _followup() -> Sheet | None:
    followup = _model("activities.FollowUp")
    if followup is None:
        return None
    from salesflow.activities.forms import FollowUpForm

    columns = [
        Column(_("客户"), _("文本"), True, help=_("客户或线索的名称。")),
        Column(_("商机"), _("文本"), False, help=_("相关商机的名称，可留空。")),
    ]
    columns += model_columns(followup, FollowUpForm.Meta.fields)
    return Sheet(columns, notes=[_("沟通后请尽快录入系统，记录录入时间以衡量及时性。")])


REPORT_FIGURES = {
    "weekly": [
        gettext_lazy("新增线索"),
        gettext_lazy("A类客户/线索跟进次数"),
        gettext_lazy("新增商机"),
        gettext_lazy("预计成交金额（元）"),
    ],
    "monthly": [
        gettext_lazy("销售额（元）"),
        gettext_lazy("订单数"),
        gettext_lazy("回款额（元）"),
        gettext_lazy("各阶段转化率"),
        gettext_lazy("重点客户进展"),
    ],
}


def _report(kind: str) -> Callable[[], Sheet | None]:
    def build() -> Sheet | None:
        report = _model("targets.SalesReport")
        if report is None:
            return None
        columns = model_columns(report, ["period_start", "period_end"])
        columns += [
            Column(
                str(label),
                _("数字") if "元" in str(label) or "数" in str(label) else _("文本"),
                help=_("系统根据数据自动生成。"),
            )
            for label in REPORT_FIGURES[kind]
        ]
        columns += model_columns(
            report,
            ["problems", "support_needed", "competitor_news", "next_plan", "late_reason"],
        )
        return Sheet(
            columns, notes=[_("在系统中提交时，数据部分由系统自动生成，只需填写文字部分。")]
        )

    return build


def _funnel() -> Sheet:
    from salesflow.pipeline.models import ProcessTemplate

    columns = [
        Column(_("流程模板"), _("文本"), True),
        Column(_("阶段"), _("文本"), True),
        Column(_("数量"), _("整数"), True),
        Column(_("阶段转化率（%）"), _("数字"), False, help=_("本阶段数量 ÷ 上一阶段数量。")),
        Column(_("目标转化率（%）"), _("数字"), False),
        Column(_("差距（百分点）"), _("数字"), False, help=_("阶段转化率 − 目标转化率。")),
        Column(_("差异原因"), _("长文本"), False),
        Column(_("改进措施"), _("长文本"), False),
    ]
    rows = []
    for template in ProcessTemplate.objects.filter(is_active=True).order_by("id"):
        version = template.versions.filter(is_current=True).first()
        if version is None:
            continue
        for stage in version.stages.order_by("order"):
            rows.append([template.name, stage.name])
        rows.append([template.name, _("赢单")])
    return Sheet(columns, rows=rows, notes=[_("阶段取自各启用流程模板的当前版本。")])


def _complaint() -> Sheet | None:
    complaint = _model("service.Complaint")
    if complaint is None:
        return None
    names = [
        "customer",
        "received_at",
        "type",
        "description",
        "caused_by_sales",
        "handler",
        "plan",
        "resolve_by",
        "customer_feedback",
        "improvement_suggestion",
        "satisfaction",
    ]
    return Sheet(
        model_columns(complaint, names),
        notes=[_("满意度 4 分及以上方可结案，否则重新处理。")],
    )


def _target() -> Sheet | None:
    target = _model("targets.Target")
    if target is None:
        return None
    names = [
        "metric",
        "period_kind",
        "period_start",
        "period_end",
        "level",
        "department",
        "region",
        "product_line",
        "customer_type",
        "owner",
        "value",
        "note",
    ]
    columns = model_columns(target, names)
    columns += [
        Column(_("实际完成"), _("数字"), help=_("系统从订单、回款等数据计算。")),
        Column(_("完成率（%）"), _("数字"), help=_("实际完成 ÷ 目标值。")),
    ]
    return Sheet(columns)


def _task() -> Sheet | None:
    item = _model("activities.TaskItem")
    if item is None:
        return None
    columns = [Column(_("任务"), _("文本"), True)]
    columns += model_columns(
        item,
        [
            "name",
            "target_value",
            "actual_value",
            "owner",
            "planned_start",
            "planned_finish",
            "actual_finish",
            "acceptor",
            "notes",
        ],
    )
    return Sheet(columns)


def _interview() -> Sheet | None:
    interview = _model("planning.ProcessInterview")
    if interview is None:
        return None
    return Sheet(
        model_columns(
            interview,
            ["interviewee", "role", "department", "interviewed_on", "pain_points", "suggestions"],
        )
    )


def _meeting() -> Sheet | None:
    meeting = _model("planning.ReviewMeeting")
    action = _model("planning.MeetingAction")
    if meeting is None:
        return None
    names = [
        "topic",
        "held_at",
        "period_start",
        "period_end",
        "agenda",
        "key_discussion",
        "highlights",
        "problems",
        "root_causes",
        "lessons",
        "resolutions",
    ]
    columns = model_columns(meeting, names)
    if action is not None:
        columns += model_columns(action, ["what", "due_date"])
    return Sheet(columns)


def _training() -> Sheet | None:
    participant = _model("planning.TrainingParticipant")
    session = _model("planning.TrainingSession")
    if participant is None or session is None:
        return None
    columns = model_columns(session, ["title", "held_on"])
    columns.append(Column(_("学员"), _("文本"), True))
    columns += model_columns(
        participant,
        ["attended", "participation", "pre_score", "post_score", "practical_score", "notes"],
    )
    return Sheet(columns)


def _maintenance() -> Sheet | None:
    action = _model("service.MaintenanceAction")
    if action is None:
        return None
    columns = model_columns(action, ["customer", "kind", "title", "due_on"])
    columns += model_columns(action, ["done_at", "customer_feedback", "effect"])
    return Sheet(columns)


STATIC_TEMPLATES = [
    ToolTemplate(
        "customer-info",
        gettext_lazy("客户信息登记表"),
        gettext_lazy("线索登记的全部字段，行业、来源等下拉选项取自系统当前设置。"),
        _customer_info,
    ),
    ToolTemplate(
        "lead-score",
        gettext_lazy("线索评分表"),
        gettext_lazy("当前启用评分表的评分项与分值、A/B/C 分级线和意向等级。"),
        _lead_score,
    ),
    ToolTemplate(
        "needs-match",
        gettext_lazy("客户需求匹配度评估表"),
        gettext_lazy("核心需求逐项 1–5 分，按系统设置的匹配度阈值得出结论。"),
        _needs_match,
    ),
    ToolTemplate(
        "followup",
        gettext_lazy("客户跟进记录表"),
        gettext_lazy("跟进方式、客户原话、异议处理、下一步与风险。"),
        _followup,
    ),
    ToolTemplate(
        "weekly-report",
        gettext_lazy("销售周报模板"),
        gettext_lazy("新增线索、A类跟进、新增商机、预计成交与问题和支持。"),
        _report("weekly"),
    ),
    ToolTemplate(
        "monthly-report",
        gettext_lazy("销售月报模板"),
        gettext_lazy("销售额、阶段转化、重点客户进展、竞争动态与下月计划。"),
        _report("monthly"),
    ),
    ToolTemplate(
        "funnel",
        gettext_lazy("销售漏斗分析表"),
        gettext_lazy("按流程模板的阶段列出数量、转化率、目标、差距和改进措施。"),
        _funnel,
    ),
    ToolTemplate(
        "complaint",
        gettext_lazy("客户投诉处理与跟进表"),
        gettext_lazy("投诉类型取自系统当前的投诉类型列表。"),
        _complaint,
    ),
    ToolTemplate(
        "target",
        gettext_lazy("销售目标分解与跟踪表"),
        gettext_lazy("指标、周期、层级与区域/产品线/客户类型维度。"),
        _target,
    ),
    ToolTemplate(
        "task",
        gettext_lazy("销售任务分配与跟踪表"),
        gettext_lazy("任务子项的目标、负责人、计划与实际完成和验收人。"),
        _task,
    ),
    ToolTemplate(
        "maintenance",
        gettext_lazy("客户关系维护计划执行表"),
        gettext_lazy("维护动作、计划日期、客户反馈与效果评价。"),
        _maintenance,
    ),
    ToolTemplate(
        "review-meeting",
        gettext_lazy("销售复盘会议记录表"),
        gettext_lazy("议程、亮点、问题与根因、决议和行动项。"),
        _meeting,
    ),
    ToolTemplate(
        "training",
        gettext_lazy("销售培训效果评估表"),
        gettext_lazy("出勤、参与度、培训前后测试和实操考核。"),
        _training,
    ),
    ToolTemplate(
        "interview",
        gettext_lazy("销售流程现状访谈记录表"),
        gettext_lazy("受访人、岗位、痛点与建议。"),
        _interview,
    ),
]


def _output_templates() -> list[ToolTemplate]:
    """One template per structured-form output of the current version of each active
    process template (需求分析报告, 谈判纪要 …)."""
    from salesflow.pipeline.models import StageOutput

    outputs = (
        StageOutput.objects.filter(
            kind=StageOutput.Kind.FORM,
            stage__version__is_current=True,
            stage__version__template__is_active=True,
        )
        .select_related("stage__version__template")
        .order_by("stage__version__template_id", "stage__order", "order", "id")
    )
    found = []
    for output in outputs:
        fields = [f for f in output.form_fields or [] if isinstance(f, dict)]
        if not fields:
            continue
        template = output.stage.version.template

        def build(fields=fields) -> Sheet:
            return Sheet([form_field_column(f) for f in fields])

        found.append(
            ToolTemplate(
                f"output-{output.pk}",
                output.name,
                _("%(template)s · %(stage)s 阶段的产出表单。")
                % {"template": template.name, "stage": output.stage.name},
                build,
            )
        )
    return found


def available() -> list[ToolTemplate]:
    return [*STATIC_TEMPLATES, *_output_templates()]


def get(key: str) -> ToolTemplate | None:
    return next((t for t in available() if t.key == key), None)


# --- the workbook --------------------------------------------------------------------------


def _sheet_title(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, "-")
    return title[:31] or "Sheet1"


def build_workbook(template: ToolTemplate) -> bytes | None:
    """The xlsx of ``template``; None when its module has nothing to offer (not installed,
    no active scorecard …)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet_def = template.build()
    if sheet_def is None:
        return None
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(str(template.title))
    lists = None
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    last_row = 2 + max(DATA_ROWS, len(sheet_def.rows))
    for index, column in enumerate(sheet_def.columns, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index, value=column.label)
        header.font = Font(bold=True)
        header.fill = header_fill
        hint = sheet.cell(row=2, column=index, value=column.hint())
        hint.font = Font(italic=True, color="808080", size=9)
        hint.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = min(40, max(14, len(column.label) * 2 + 4))
        target = f"{letter}3:{letter}{last_row}"
        if column.choices:
            inline = ",".join(column.choices)
            if len(inline) <= INLINE_LIST_LIMIT and not any(
                "," in c or '"' in c for c in column.choices
            ):
                formula = f'"{inline}"'
            else:
                if lists is None:
                    lists = workbook.create_sheet(_("选项"))
                    lists.sheet_state = "hidden"
                list_col = get_column_letter(lists.max_column + (1 if lists["A1"].value else 0))
                for row, choice in enumerate(column.choices, start=1):
                    lists[f"{list_col}{row}"] = choice
                formula = f"'{lists.title}'!${list_col}$1:${list_col}${len(column.choices)}"
            validation = DataValidation(
                type="list",
                formula1=formula,
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle=_("请从下拉列表中选择"),
                error=_("“%(label)s”只能填写下拉列表中的值。") % {"label": column.label},
            )
        elif column.whole_range:
            low, high = column.whole_range
            validation = DataValidation(
                type="whole",
                operator="between",
                formula1=str(low),
                formula2=str(high),
                allow_blank=not column.required,
                showErrorMessage=True,
                error=_("请填写 %(low)s–%(high)s 的整数。") % {"low": low, "high": high},
            )
        else:
            continue
        sheet.add_data_validation(validation)
        validation.add(target)
    sheet.row_dimensions[2].height = 48
    for offset, values in enumerate(sheet_def.rows):
        for col, value in enumerate(values, start=1):
            sheet.cell(row=3 + offset, column=col, value=value)
    sheet.freeze_panes = "A3"
    about = workbook.create_sheet(_("说明"))
    about["A1"] = str(template.title)
    about["A1"].font = Font(bold=True, size=14)
    about["A2"] = str(template.description)
    about["A3"] = _("生成时间：%(at)s（字段、选项取自系统当时的设置）") % {
        "at": timezone.localtime().strftime("%Y-%m-%d %H:%M")
    }
    for offset, note in enumerate(sheet_def.notes, start=4):
        about[f"A{offset}"] = str(note)
    about.column_dimensions["A"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
