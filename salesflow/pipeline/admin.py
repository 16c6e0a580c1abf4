"""Administration of the sales process: product lines and lost reasons (reference lists, kept by
the administrators who keep the organisation: ``org.department``), process templates with their
versions and stages with their outputs (``org.role``: the people who define rights also define
the process). Every save and delete is audited by ``RightsAdminMixin``.

A version that opportunities already use is frozen: changing its stages in place would rewrite
the process (and the history) of running opportunities. The administrator creates a new
version ("新建版本", ``template_new_version``) and edits that one instead."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from salesflow.core.admin_mixins import RightsAdminMixin
from salesflow.core.scope import has_right

from . import services
from .models import (
    LostReason,
    Opportunity,
    ProcessTemplate,
    ProductLine,
    Stage,
    StageOutput,
    TemplateVersion,
)

PROCESS_RIGHT = "org.role"
LOCKED_HELP = _(
    "该流程版本已有商机在使用，其阶段和产出不能直接修改（否则会改变进行中商机的流程和历史统计）。"
    "请到“流程模板”中点击“新建版本”，在新版本中修改；进行中的商机仍按原版本执行。"
)


def version_in_use(version_id) -> bool:
    return Opportunity.all_objects.filter(template_version_id=version_id).exists()


def _stage_locked(stage) -> bool:
    if stage is None or stage.pk is None:
        return False
    cached = getattr(stage, "in_use", None)
    return bool(cached) if cached is not None else version_in_use(stage.version_id)


# --- reference lists --------------------------------------------------------------------------


class ReferenceListAdmin(RightsAdminMixin, admin.ModelAdmin):
    object_type = "org.department"
    list_display = ["name", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fields = ["name", "sort_order", "is_active"]
    ordering = ["sort_order", "id"]


@admin.register(ProductLine)
class ProductLineAdmin(ReferenceListAdmin):
    pass


@admin.register(LostReason)
class LostReasonAdmin(ReferenceListAdmin):
    pass


# --- process templates and versions ------------------------------------------------------------


class ProcessRightsInline:
    """Inline permissions from the role rights (our users hold no Django model permissions)."""

    def has_view_permission(self, request, obj=None):
        return has_right(request.user, PROCESS_RIGHT, "view")


class TemplateVersionInline(ProcessRightsInline, admin.TabularInline):
    model = TemplateVersion
    extra = 0
    can_delete = False
    fields = ["number", "is_current", "change_note", "created_by", "created_at", "stages_link"]
    readonly_fields = fields
    ordering = ["-number"]
    verbose_name_plural = _("版本（只读；修改流程请新建版本）")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(stage_count=Count("stages"))
        )

    @admin.display(description=_("阶段"))
    def stages_link(self, obj):
        from django.utils.html import format_html

        url = reverse("admin:pipeline_stage_changelist") + f"?version__id__exact={obj.pk}"
        return format_html('<a href="{}">{} {}</a>', url, obj.stage_count, _("个阶段"))


class NewVersionForm(forms.Form):
    change_note = forms.CharField(
        label=_("变更说明"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("例如：需求分析时限改为2个工作日。新版本复制当前版本的全部阶段和产出。"),
    )


@admin.register(ProcessTemplate)
class ProcessTemplateAdmin(RightsAdminMixin, admin.ModelAdmin):
    object_type = PROCESS_RIGHT
    list_display = ["name", "is_active", "current_version_label", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fields = ["name", "description", "is_active"]
    inlines = [TemplateVersionInline]
    actions = ["new_version_action"]
    change_form_template = "pipeline/admin/template_change_form.html"

    @admin.display(description=_("当前版本"))
    def current_version_label(self, obj):
        version = obj.current_version()
        return f"v{version.number}" if version else "—"

    def get_urls(self):
        extra = [
            path(
                "<int:object_id>/new-version/",
                self.admin_site.admin_view(self.new_version_view),
                name="pipeline_processtemplate_new_version",
            )
        ]
        return extra + super().get_urls()

    def new_version_view(self, request, object_id):
        """新建版本: copy the current version's stages and outputs into a new current version
        (``template_new_version``), then edit the new version's stages."""
        if not has_right(request.user, PROCESS_RIGHT, "change"):
            raise PermissionDenied
        template = get_object_or_404(ProcessTemplate, pk=object_id)
        form = NewVersionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                version = services.template_new_version(
                    actor=request.user,
                    template_id=template.pk,
                    change_note=form.cleaned_data["change_note"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("已创建“%(template)s”v%(number)s，现在可以修改新版本的阶段和产出。")
                    % {"template": template.name, "number": version.number},
                )
                return redirect(
                    reverse("admin:pipeline_stage_changelist") + f"?version__id__exact={version.pk}"
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": template,
            "current": template.current_version(),
            "form": form,
            "title": _("新建版本：%(name)s") % {"name": template.name},
        }
        return TemplateResponse(request, "pipeline/admin/new_version.html", context)

    @admin.action(description=_("为所选模板新建版本"), permissions=["change"])
    def new_version_action(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个流程模板。"), level=messages.WARNING)
            return None
        return redirect(
            reverse("admin:pipeline_processtemplate_new_version", args=[queryset.get().pk])
        )


# --- stages and their outputs ------------------------------------------------------------------


class StageOutputInline(ProcessRightsInline, admin.StackedInline):
    model = StageOutput
    extra = 0
    fields = [("order", "code", "name"), ("kind", "required"), "form_fields"]

    def _editable(self, request, obj, action):
        return has_right(request.user, PROCESS_RIGHT, action) and not _stage_locked(obj)

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj, "change")

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj, "change")

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj, "change")


@admin.register(Stage)
class StageAdmin(RightsAdminMixin, admin.ModelAdmin):
    object_type = PROCESS_RIGHT
    list_display = [
        "name",
        "version",
        "order",
        "code",
        "time_limit_rule",
        "probability",
        "covered_by_lead",
        "in_use_label",
    ]
    list_filter = ["version__template", "version"]
    list_select_related = ["version__template"]
    search_fields = ["name", "code"]
    ordering = ["version__template_id", "-version__number", "order"]
    inlines = [StageOutputInline]
    FIELDS = [
        "version",
        ("order", "code", "name"),
        "core_action",
        "responsible_roles",
        ("time_limit_rule", "time_limit_note"),
        "probability",
        "covered_by_lead",
    ]

    def get_queryset(self, request):
        in_use = Opportunity.all_objects.filter(template_version=OuterRef("version_id"))
        return super().get_queryset(request).annotate(in_use=Exists(in_use))

    @admin.display(description=_("已被商机使用"), boolean=True)
    def in_use_label(self, obj):
        return bool(getattr(obj, "in_use", False))

    def get_fieldsets(self, request, obj=None):
        options = {"fields": self.FIELDS}
        if _stage_locked(obj):
            options["description"] = LOCKED_HELP
        return [(None, options)]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _stage_locked(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _stage_locked(obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "version":
            # New stages only go into versions that no opportunity uses yet.
            kwargs["queryset"] = TemplateVersion.objects.exclude(
                pk__in=Opportunity.all_objects.values("template_version_id")
            ).select_related("template")
            kwargs["help_text"] = _("已有商机使用的版本不能再添加阶段；请先新建版本。")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
