import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from . import dashboard, services
from .audit import history_for, with_shown_changes
from .models import AuditEntry, SettingChange, WorkerHeartbeat
from .scope import has_right, registry
from .settings_registry import GROUPS, REGISTRY, get_definition, get_setting


def require_right(object_type: str, action: str = "view"):
    """View decorator: signed in and holding the right, else 404 (no existence leak)."""

    def decorator(view):
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_right(request.user, object_type, action):
                raise Http404
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        wrapped.required_right = (object_type, action)
        return wrapped

    return decorator


@login_required
def home(request):
    return render(request, "core/home.html", {"cards": dashboard.cards_for(request.user)})


def healthz(request):
    """Database reachable, migrations applied, worker heartbeat younger than 2 minutes."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        checks["migrations"] = "ok" if not pending else f"{len(pending)} pending"
        cutoff = timezone.now() - datetime.timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE_SECONDS)
        alive = WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).exists()
        checks["worker"] = "ok" if alive else "no heartbeat"
    except Exception as exc:  # the endpoint reports, it never raises
        checks["database"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values()) and len(checks) == 3
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )


# --- settings -----------------------------------------------------------------------------


@require_right("core.setting", "view")
def settings_list(request):
    groups = []
    changed = dict(SettingChange.objects.order_by("key", "-at").values_list("key", "at"))
    for group_key, group_label in GROUPS.items():
        items = [
            {
                "definition": d,
                "value": get_setting(d.key),
                "is_default": get_setting(d.key) == d.default,
                "changed_at": changed.get(d.key),
            }
            for d in REGISTRY.values()
            if d.group == group_key
        ]
        if items:
            groups.append({"key": group_key, "label": group_label, "items": items})
    history = SettingChange.objects.select_related("actor")[:20]
    return render(
        request,
        "core/settings_list.html",
        {
            "groups": groups,
            "history": history,
            "can_change": has_right(request.user, "core.setting", "change"),
        },
    )


class SettingChangeForm(forms.Form):
    value = forms.CharField(label=gettext_lazy("新值"), max_length=200)
    reason = forms.CharField(
        label=gettext_lazy("修改原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )

    def __init__(self, *args, definition, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        if definition.kind == "bool":
            self.fields["value"] = forms.ChoiceField(
                label=gettext_lazy("新值"), choices=[("true", _("是")), ("false", _("否"))]
            )
        self.fields["value"].help_text = definition.help

    def clean_value(self):
        try:
            return self.definition.parse(self.cleaned_data["value"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None


@require_http_methods(["GET", "POST"])
@require_right("core.setting", "view")
def setting_edit(request, key):
    try:
        definition = get_definition(key)
    except KeyError:
        raise Http404 from None
    can_change = has_right(request.user, "core.setting", "change")
    current = get_setting(key)
    form = SettingChangeForm(
        request.POST or None,
        definition=definition,
        initial={"value": str(current).lower() if definition.kind == "bool" else current},
    )
    if request.method == "POST":
        if not can_change:
            raise Http404
        if form.is_valid():
            try:
                services.setting_change(
                    actor=request.user,
                    key=key,
                    value=form.cleaned_data["value"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request, _("设置“%(label)s”已更新。") % {"label": definition.label}
                )
                return redirect("core:settings")
    history = SettingChange.objects.filter(key=key).select_related("actor")
    return render(
        request,
        "core/setting_edit.html",
        {
            "definition": definition,
            "current": current,
            "form": form,
            "history": history,
            "can_change": can_change,
        },
    )


# --- audit --------------------------------------------------------------------------------


@require_right("core.audit", "view")
def audit_log(request):
    """The administrator-wide log: search by person, action, object or request id."""
    qs = AuditEntry.objects.select_related("actor", "content_type")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(
            Q(actor_name__icontains=q)
            | Q(action__icontains=q)
            | Q(object_repr__icontains=q)
            | Q(message__icontains=q)
            | Q(request_id=q)
        )
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    for name, lookup in (("from", "at__date__gte"), ("to", "at__date__lte")):
        value = request.GET.get(name, "").strip()
        if value:
            try:
                qs = qs.filter(**{lookup: datetime.date.fromisoformat(value)})
            except ValueError:
                messages.error(request, _("日期格式应为 YYYY-MM-DD。"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    page.object_list = with_shown_changes(page.object_list, request.user)
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "q": q,
            "action": action,
            "date_from": request.GET.get("from", ""),
            "date_to": request.GET.get("to", ""),
        },
    )


@login_required
def object_history(request, content_type_id, object_id):
    """The history tab of one object: visible to whoever may see the object itself."""
    try:
        content_type = ContentType.objects.get_for_id(content_type_id)
    except ContentType.DoesNotExist:
        raise Http404 from None
    model = content_type.model_class()
    if model is None:
        raise Http404
    if model in registry():
        obj = model._default_manager.get_in_scope(request.user, "view", pk=object_id)
    else:
        # Not an owned record (a setting change, a department, a user): the audit right decides.
        if not has_right(request.user, "core.audit", "view"):
            raise Http404
        try:
            obj = model._default_manager.get(pk=object_id)
        except (model.DoesNotExist, ValueError):
            raise Http404 from None
    entries = history_for(obj)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    page.object_list = with_shown_changes(page.object_list, request.user)
    template = "core/partials/history.html" if request.htmx else "core/object_history.html"
    return render(request, template, {"object": obj, "page": page})


# --- recycle bin --------------------------------------------------------------------------


@require_right("core.recycle", "view")
def recycle_bin(request):
    from .recycle import deleted_items, recycle_restore

    if request.method == "POST":
        if not has_right(request.user, "core.recycle", "change"):
            raise Http404
        try:
            row = recycle_restore(
                actor=request.user,
                label=request.POST.get("label", ""),
                pk=int(request.POST.get("pk", "0")),
            )
        except (LookupError, ValueError):
            raise Http404 from None
        messages.success(request, _("已恢复：%(name)s") % {"name": row})
        return redirect("core:recycle_bin")
    return render(
        request,
        "core/recycle_bin.html",
        {
            "items": deleted_items(),
            "can_restore": has_right(request.user, "core.recycle", "change"),
            "days": get_setting("core.recycle_days"),
        },
    )


# --- error pages --------------------------------------------------------------------------


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors: the database may be the reason for the error.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render())
