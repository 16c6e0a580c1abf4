"""Chinese administration of the lead reference data: sources, the screening scorecard (criteria
and their options) and the assignment rules with their members.

Access follows our role rights (``org.department`` for sources, ``org.role`` for scorecards and
rules), not Django's model permissions; every save is audited by ``RightsAdminMixin``. Django
admin cannot nest inlines, so a scorecard edits its criteria and each criterion (its own page)
edits its options.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from salesflow.core.admin_mixins import RightsAdminMixin
from salesflow.core.audit import audit, snapshot
from salesflow.core.scope import has_right

from .models import (
    AssignmentMember,
    AssignmentRule,
    LeadSource,
    Scorecard,
    ScoreCriterion,
    ScoreOption,
)


class RightsInlineMixin:
    """An inline follows the rights of its parent page (``object_type``)."""

    object_type: str = ""

    def _allowed(self, request, action):
        return has_right(request.user, self.object_type, action)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view")

    def has_add_permission(self, request, obj=None):
        return self._allowed(request, "change")

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change")

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "change")


class AuditedInlinesMixin:
    """Rows added, changed or removed through an inline are audited like the page itself."""

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit(
                actor=request.user,
                action=f"{obj._meta.model_name}.create",
                obj=obj,
                after=snapshot(obj),
            )
        for obj, fields in formset.changed_objects:
            audit(
                actor=request.user,
                action=f"{obj._meta.model_name}.change",
                obj=obj,
                after=snapshot(obj),
                message="、".join(fields),
            )
        for obj in formset.deleted_objects:
            audit(
                actor=request.user,
                action=f"{obj._meta.model_name}.delete",
                object_repr=str(obj),
                before=snapshot(obj),
            )


@admin.register(LeadSource)
class LeadSourceAdmin(RightsAdminMixin, admin.ModelAdmin):
    object_type = "org.department"
    list_display = ["name", "is_referral", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["is_active", "is_referral"]
    search_fields = ["name"]
    ordering = ["sort_order", "id"]


class ScoreCriterionInline(RightsInlineMixin, admin.TabularInline):
    model = ScoreCriterion
    object_type = "org.role"
    fields = ["name", "sort_order", "option_summary"]
    readonly_fields = ["option_summary"]
    show_change_link = True
    extra = 0

    @admin.display(description=_("选项（分值）"))
    def option_summary(self, obj):
        if obj.pk is None:
            return _("保存后点“修改”编辑选项")
        return "、".join(f"{o.label} {o.points}" for o in obj.options.all())


@admin.register(Scorecard)
class ScorecardAdmin(AuditedInlinesMixin, RightsAdminMixin, admin.ModelAdmin):
    object_type = "org.role"
    list_display = ["name", "is_active", "a_min", "b_min", "criterion_count", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fields = ["name", "is_active", "a_min", "b_min"]
    inlines = [ScoreCriterionInline]

    @admin.display(description=_("评分项数"))
    def criterion_count(self, obj):
        return obj.criteria.count()

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("criteria")


class ScoreOptionInline(RightsInlineMixin, admin.TabularInline):
    model = ScoreOption
    object_type = "org.role"
    fields = ["label", "points", "sort_order"]
    extra = 1


@admin.register(ScoreCriterion)
class ScoreCriterionAdmin(AuditedInlinesMixin, RightsAdminMixin, admin.ModelAdmin):
    object_type = "org.role"
    list_display = ["name", "scorecard", "sort_order", "max_points"]
    list_filter = ["scorecard"]
    search_fields = ["name", "scorecard__name"]
    fields = ["scorecard", "name", "sort_order"]
    inlines = [ScoreOptionInline]

    @admin.display(description=_("最高分"))
    def max_points(self, obj):
        return max((o.points for o in obj.options.all()), default=0)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("scorecard").prefetch_related("options")


class AssignmentMemberInline(RightsInlineMixin, admin.TabularInline):
    model = AssignmentMember
    object_type = "org.role"
    fields = ["user", "weight"]
    autocomplete_fields = ["user"]
    extra = 1


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(AuditedInlinesMixin, RightsAdminMixin, admin.ModelAdmin):
    object_type = "org.role"
    list_display = [
        "name",
        "sort_order",
        "is_active",
        "region",
        "industry",
        "source",
        "team",
        "weighted",
        "member_names",
    ]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["is_active", "weighted", "region", "industry", "source"]
    search_fields = ["name"]
    fields = ["name", "sort_order", "is_active", "region", "industry", "source", "team", "weighted"]
    inlines = [AssignmentMemberInline]

    @admin.display(description=_("成员"))
    def member_names(self, obj):
        return "、".join(f"{m.user}×{m.weight}" for m in obj.members.all())

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("region", "industry", "source", "team")
            .prefetch_related("members__user")
        )
