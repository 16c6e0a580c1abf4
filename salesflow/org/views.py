from django.shortcuts import render

from salesflow.core.views import require_right

from .models import Department, User


@require_right("org.user", "view")
def org_overview(request):
    """The department tree with its people, managers and roles."""
    departments = list(Department.objects.select_related("parent"))
    members: dict[int | None, list[User]] = {}
    for user in (
        User.objects.filter(is_active=True).select_related("manager").prefetch_related("roles")
    ):
        members.setdefault(user.department_id, []).append(user)
    rows = [{"department": d, "members": members.get(d.pk, [])} for d in departments]
    return render(
        request,
        "org/overview.html",
        {
            "rows": rows,
            "unassigned": members.get(None, []),
        },
    )
