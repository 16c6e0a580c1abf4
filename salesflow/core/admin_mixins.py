from salesflow.core.audit import audit, snapshot
from salesflow.core.scope import has_right


class RightsAdminMixin:
    """Admin access from our role rights on ``object_type``; saves and deletes are audited."""

    object_type: str = ""
    audit_on_save = True

    def _allowed(self, request, action):
        return has_right(request.user, self.object_type, action)

    def has_module_permission(self, request):
        return self._allowed(request, "view")

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view")

    def has_add_permission(self, request, *args):
        return self._allowed(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change")

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete")

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        if self.audit_on_save:
            action = f"{obj._meta.model_name}.{'change' if change else 'create'}"
            audit(actor=request.user, action=action, obj=obj, before=before, after=snapshot(obj))

    def delete_model(self, request, obj):
        audit(
            actor=request.user,
            action=f"{obj._meta.model_name}.delete",
            obj=obj,
            before=snapshot(obj),
            after=None,
        )
        super().delete_model(request, obj)
