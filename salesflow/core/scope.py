"""Data scope (数据权限): which records a user may see or touch.

Every model that has an owner is registered here with its object type and owner field, and
its default manager is a ``ScopedQuerySet``; selectors start from
``Model.objects.restrict(user, action)``. The scope comes from the user's roles (the widest
scope among the roles that grant the action on the object type):

* own                 — records the user owns
* subordinates        — the user's and their whole reporting chain's (manager → … → rep)
* department          — owned by anyone in the user's own department
* department_tree     — owned by anyone in the user's department or any department below it
* company             — everything

A model may widen this with ``extra`` (a function ``(user, action) -> Q``), e.g. collaborators
or "unassigned leads" for marketing — but only for a user who holds the right for the action at
all. Out of scope is "not found" (404), never 403.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.http import Http404

from salesflow.org.rights import DataScope, widest_scope


@dataclass(frozen=True)
class ScopeSpec:
    model: type[models.Model]
    object_type: str
    owner_field: str
    extra: Callable | None = None


_registry: dict[type[models.Model], ScopeSpec] = {}


def register(*, object_type: str, owner_field: str = "owner", extra: Callable | None = None):
    """Class decorator: ``@scope.register(object_type="lead")`` on an owned model."""

    def decorator(model):
        _registry[model] = ScopeSpec(model, object_type, owner_field, extra)
        return model

    return decorator


def registry() -> dict[type[models.Model], ScopeSpec]:
    return dict(_registry)


def spec_for(model) -> ScopeSpec:
    try:
        return _registry[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not registered for data scope") from None


# --- rights -------------------------------------------------------------------------------


def user_rights(user) -> dict[str, dict[str, frozenset[str]]]:
    """``{object_type: {action: {scopes}}}`` for a user: every role's grant is kept, so that
    several roles give the union of their scopes (cached on the user object, one request)."""
    cached = getattr(user, "_sf_rights", None)
    if cached is not None:
        return cached
    from salesflow.org.models import RolePermission

    rights: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    if user is not None and user.is_authenticated and user.is_active:
        rows = RolePermission.objects.filter(role__users=user).select_related("role")
        for row in rows:
            for action in row.actions:
                rights[row.object_type][action].append(row.effective_scope)
    result = {
        obj: {action: frozenset(scopes) for action, scopes in actions.items()}
        for obj, actions in rights.items()
    }
    if user is not None:
        user._sf_rights = result
    return result


def scopes_for(user, object_type: str, action: str) -> frozenset[str]:
    """Every data scope in which ``user`` may perform ``action`` on ``object_type`` (empty:
    not at all)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset({DataScope.COMPANY})
    return user_rights(user).get(object_type, {}).get(action, frozenset())


def scope_for(user, object_type: str, action: str) -> str | None:
    """The widest of those scopes, for display (None: not at all)."""
    return widest_scope(scopes_for(user, object_type, action))


def has_right(user, object_type: str, action: str) -> bool:
    return bool(scopes_for(user, object_type, action))


def owner_ids_for(user, object_type: str, action: str) -> set[int] | None:
    """The union of the owners the user reaches through each granted scope; None means every
    owner (company scope). Empty when the user lacks the right."""
    scopes = scopes_for(user, object_type, action)
    if DataScope.COMPANY in scopes:
        return None
    ids: set[int] = set()
    for scope in scopes:
        ids |= visible_owner_ids(user, scope)
    return ids


def forget_rights(user) -> None:
    """Drop the per-request caches after a change of the user's roles or position."""
    for attr in ("_sf_rights", "_sf_owner_ids"):
        if hasattr(user, attr):
            delattr(user, attr)


# --- whose records ------------------------------------------------------------------------


def _subordinate_ids(user_id: int) -> set[int]:
    from salesflow.org.models import User

    children: dict[int, list[int]] = defaultdict(list)
    for uid, manager_id in User.objects.filter(manager__isnull=False).values_list(
        "id", "manager_id"
    ):
        children[manager_id].append(uid)
    found, stack = {user_id}, [user_id]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def visible_owner_ids(user, scope: str) -> set[int] | None:
    """Ids of the users whose records ``user`` sees at ``scope`` (None means everyone)."""
    if scope == DataScope.COMPANY:
        return None
    cache = getattr(user, "_sf_owner_ids", None)
    if cache is None:
        cache = user._sf_owner_ids = {}
    if scope in cache:
        return cache[scope]
    from salesflow.org.models import User

    if scope == DataScope.OWN:
        ids = {user.pk}
    elif scope == DataScope.SUBORDINATES:
        ids = _subordinate_ids(user.pk)
    elif user.department_id is None:
        ids = {user.pk}
    elif scope == DataScope.DEPARTMENT:
        ids = set(
            User.objects.filter(department_id=user.department_id).values_list("id", flat=True)
        )
        ids.add(user.pk)
    elif scope == DataScope.DEPARTMENT_TREE:
        path = user.department.path
        ids = set(
            User.objects.filter(department__path__startswith=path).values_list("id", flat=True)
        )
        ids.add(user.pk)
    else:
        raise ValueError(f"unknown data scope {scope!r}")
    cache[scope] = ids
    return ids


def scope_q(model, user, action: str) -> Q | None:
    """The filter for ``model`` records within the user's scope; None means no access at all,
    ``Q()`` means no restriction."""
    spec = spec_for(model)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    # The right decides whether the action is allowed at all; the scope (and the model's
    # extra rule: collaborators, unassigned records) decides on which records.
    if not has_right(user, spec.object_type, action):
        return None
    extra = spec.extra(user, action) if spec.extra else None
    owner_ids = owner_ids_for(user, spec.object_type, action)
    if owner_ids is None:
        return Q()
    q = Q(**{f"{spec.owner_field}__in": sorted(owner_ids)})
    return q | extra if extra is not None else q


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        q = scope_q(self.model, user, action)
        if q is None:
            return self.none()
        return self.filter(q) if q else self

    def get_in_scope(self, user, action: str = "view", **lookup):
        """The one record matching ``lookup`` inside the user's scope, else Http404."""
        try:
            return self.restrict(user, action).get(**lookup)
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise Http404 from None


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def is_in_scope(user, obj: models.Model, action: str = "view") -> bool:
    return type(obj)._default_manager.restrict(user, action).filter(pk=obj.pk).exists()


OWNER_FIELD_NAMES = ("owner",)


def unregistered_owned_models(
    candidates=None, module_prefix: str = "salesflow."
) -> list[type[models.Model]]:
    """Models that have an owner field but no scope registration (a test and a system check
    fail on any)."""
    from django.apps import apps

    missing = []
    for model in candidates if candidates is not None else apps.get_models():
        if not model.__module__.startswith(module_prefix):
            continue
        names = {f.name for f in model._meta.get_fields()}
        if names & set(OWNER_FIELD_NAMES) and model not in _registry:
            missing.append(model)
    return missing
