"""Chinese administration pages for users, departments, roles and their rights.

Access follows the rights of the roles (``org.user``, ``org.department``, ``org.role``), not
Django's model permissions; every save is audited.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from salesflow.core.admin_mixins import RightsAdminMixin
from salesflow.core.audit import audit, snapshot

from . import services
from .models import Department, Role, RolePermission, User
from .rights import OBJECT_TYPES, Action


@admin.register(Department)
class DepartmentAdmin(RightsAdminMixin, admin.ModelAdmin):
    object_type = "org.department"
    list_display = ["indented_name", "region", "member_count", "is_active"]
    list_filter = ["is_active", "region"]
    search_fields = ["name", "region"]
    fields = ["name", "parent", "region", "sort_order", "is_active"]
    autocomplete_fields = ["parent"]

    @admin.display(description=_("名称"), ordering="path")
    def indented_name(self, obj):
        return ("— " * obj.depth) + obj.name

    @admin.display(description=_("人数"))
    def member_count(self, obj):
        return obj.members.count()

    def save_model(self, request, obj, form, change):
        before = snapshot(Department.objects.get(pk=obj.pk)) if change else None
        services.department_save(actor=request.user, department=obj, before=before)


class RolePermissionForm(forms.ModelForm):
    object_type = forms.ChoiceField(label=_("对象类型"), choices=sorted(OBJECT_TYPES.items()))
    actions = forms.MultipleChoiceField(
        label=_("操作"),
        choices=Action.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = RolePermission
        fields = ["object_type", "actions", "data_scope"]


class RolePermissionInline(admin.TabularInline):
    model = RolePermission
    form = RolePermissionForm
    extra = 0

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return True

    def has_change_permission(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        return True


@admin.register(Role)
class RoleAdmin(RightsAdminMixin, admin.ModelAdmin):
    object_type = "org.role"
    list_display = ["name", "code", "data_scope", "is_system", "user_count"]
    search_fields = ["name", "code"]
    inlines = [RolePermissionInline]

    @admin.display(description=_("用户数"))
    def user_count(self, obj):
        return obj.users.count()

    def get_readonly_fields(self, request, obj=None):
        return ["code", "is_system"] if obj and obj.is_system else ["is_system"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_system:
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        before = services.role_permission_snapshot(form.instance) if change else {}
        super().save_related(request, form, formsets, change)
        after = services.role_permission_snapshot(form.instance)
        if before != after:
            audit(
                actor=request.user,
                action="role.permissions_change",
                obj=form.instance,
                before=before,
                after=after,
            )


@admin.register(User)
class UserAdmin(RightsAdminMixin, DjangoUserAdmin):
    object_type = "org.user"
    list_display = ["username", "display_name", "department", "manager", "role_names", "is_active"]
    list_filter = ["is_active", "roles", "department"]
    search_fields = ["username", "display_name", "phone", "email"]
    autocomplete_fields = ["department", "manager"]
    filter_horizontal = ["roles"]
    ordering = ["id"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "title", "phone", "email")}),
        (_("组织"), {"fields": ("department", "manager", "roles")}),
        (_("状态"), {"fields": ("is_active", "is_superuser", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "display_name", "password1", "password2"),
            },
        ),
        (_("组织"), {"fields": ("department", "manager", "roles")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    audit_on_save = False  # the user form audits fields and roles together in save_related

    @admin.display(description=_("角色"))
    def role_names(self, obj):
        return "、".join(r.name for r in obj.roles.all())

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("department", "manager")
            .prefetch_related("roles")
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("is_superuser")
        return readonly

    def save_model(self, request, obj, form, change):
        if change:
            current = User.objects.get(pk=obj.pk)
            request._audit_before = snapshot(current)
            request._audit_roles = sorted(current.roles.values_list("code", flat=True))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        if change:
            services.user_audit_change(
                actor=request.user,
                user=user,
                before=request._audit_before,
                roles_before=request._audit_roles,
            )
        else:
            audit(
                actor=request.user,
                action="user.create",
                obj=user,
                after=snapshot(user) | {"roles": sorted(user.roles.values_list("code", flat=True))},
            )
