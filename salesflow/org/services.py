"""Writes of the organisation: departments (tree paths), users, roles. All audited."""

from django.db import transaction

from salesflow.core.audit import audit, snapshot

from .models import Department, Role, RolePermission, User


def _rebuild_paths(department: Department) -> None:
    """Recompute ``path``/``depth`` of a department and its whole subtree."""
    stack = [department]
    while stack:
        node = stack.pop()
        node.path = node.compute_path()
        node.depth = node.path.count("/") - 2
        Department.objects.filter(pk=node.pk).update(path=node.path, depth=node.depth)
        for child in Department.objects.filter(parent=node).select_related("parent"):
            child.parent = node
            stack.append(child)


def department_save(*, actor, department: Department, before: dict | None = None) -> Department:
    """Create or update a department; moving it re-paths its subtree."""
    department.full_clean()
    with transaction.atomic():
        created = department.pk is None
        department.save()
        _rebuild_paths(department)
        department.refresh_from_db()
        audit(
            actor=actor,
            action="department.create" if created else "department.change",
            obj=department,
            before=before,
            after=snapshot(department),
        )
    return department


def department_create(*, actor, name: str, parent: Department | None = None, region: str = ""):
    return department_save(
        actor=actor, department=Department(name=name, parent=parent, region=region)
    )


def user_create(
    *,
    actor,
    username: str,
    display_name: str,
    password: str | None = None,
    department: Department | None = None,
    manager: User | None = None,
    roles: list[Role] | tuple = (),
    email: str = "",
    phone: str = "",
    title: str = "",
    is_superuser: bool = False,
) -> User:
    user = User(
        username=username,
        display_name=display_name,
        department=department,
        manager=manager,
        email=email,
        phone=phone,
        title=title,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    with transaction.atomic():
        user.save()
        user.roles.set(roles)
        after = snapshot(user) | {"roles": sorted(r.code for r in roles)}
        audit(actor=actor, action="user.create", obj=user, after=after)
    return user


def user_audit_change(*, actor, user: User, before: dict, roles_before: list[str] | None = None):
    """Audit an edit made through the administration pages (diff of fields and roles)."""
    after = snapshot(user)
    if roles_before is not None:
        before = before | {"roles": roles_before}
        after = after | {"roles": sorted(user.roles.values_list("code", flat=True))}
    return audit(actor=actor, action="user.change", obj=user, before=before, after=after)


def role_permission_snapshot(role: Role) -> dict:
    return {
        f"perm:{p.object_type}": {"actions": sorted(p.actions), "scope": p.data_scope}
        for p in RolePermission.objects.filter(role=role)
    }
