"""Users and teams (departments), administrator only, written through ``org.services``. A row
may name a department, its parent and a manager that do not exist yet: with ``create_missing``
in the profile they are created (and listed in the report, and undone with the import)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesflow.core.errors import ValidationError
from salesflow.core.pii import reject_sensitive

from .base import CellError, Entity, FieldDef, WriteResult


def username_for(display_name: str) -> str:
    """``Dustin Brinkmann`` → ``dustin.brinkmann``; a name without Latin letters needs an
    explicit username column."""
    slug = re.sub(r"[^a-z0-9]+", ".", display_name.lower()).strip(".")
    return slug[:150]


def resolve_roles(text: str, ctx):
    from salesflow.org.models import Role

    roles = []
    for part in re.split(r"[,，、;；/]", text):
        part = part.strip()
        if not part:
            continue
        role = ctx.cached(
            "role",
            part,
            lambda p=part: (
                Role.objects.filter(code=p).first() or Role.objects.filter(name=p).first()
            ),
        )
        if role is None:
            raise CellError(_("没有角色“%(v)s”。") % {"v": part})
        roles.append(role)
    return roles


def _department(name: str, parent_name: str | None, ctx, created: list):
    """An existing department by name (under ``parent_name`` when given), or a new one."""
    from salesflow.org.models import Department
    from salesflow.org.services import department_create

    parent = None
    if parent_name:
        parent = _department(parent_name, None, ctx, created)
    key = f"{parent.pk if parent else ''}/{name}"

    def load():
        qs = Department.objects.filter(name=name, is_active=True)
        if parent is not None:
            qs = qs.filter(parent=parent)
        return qs.first()

    department = ctx.cached("department_tree", key, load)
    if department is None:
        if not ctx.may_create("department"):
            raise ValidationError({"department": _("找不到部门“%(v)s”。") % {"v": name}})
        department = department_create(actor=ctx.actor, name=name, parent=parent)
        ctx._cache["department_tree"][key] = department
        created.append(department)
    return department


def _manager(name: str, department, ctx, created: list):
    from salesflow.org.models import Role, User
    from salesflow.org.services import user_create

    def load():
        return (
            User.objects.filter(display_name=name).first()
            or User.objects.filter(username__iexact=name).first()
        )

    manager = ctx.cached("manager", name, load)
    if manager is None:
        if not ctx.may_create("manager"):
            raise ValidationError({"manager": _("找不到上级“%(v)s”。") % {"v": name}})
        role_code = ctx.options.get("manager_role") or "sales_manager"
        username = username_for(name)
        if not username or User.objects.filter(username=username).exists():
            raise ValidationError({"manager": _("无法为上级“%(v)s”生成用户名。") % {"v": name}})
        manager = user_create(
            actor=ctx.actor,
            username=username,
            display_name=name,
            department=department,
            roles=list(Role.objects.filter(code=role_code)),
            title=_("销售经理"),
        )
        ctx._cache["manager"][name] = manager
        created.append(manager)
    return manager


class UserEntity(Entity):
    key = "user"
    label = gettext_lazy("用户")
    object_type = "org.user"
    admin_only = True
    model_label = "org.user"
    duplicate_key_label = gettext_lazy("用户名")
    fields = [
        FieldDef(
            "display_name",
            gettext_lazy("姓名"),
            ("名字", "员工", "销售", "name", "full name", "sales agent", "agent", "employee"),
            required=True,
            max_length=50,
        ),
        FieldDef(
            "username",
            gettext_lazy("用户名"),
            ("账号", "登录名", "username", "login"),
            max_length=150,
            help=gettext_lazy("留空则由英文姓名生成，如 anna.snelling。"),
        ),
        FieldDef(
            "department",
            gettext_lazy("部门"),
            ("所属部门", "团队", "department", "team"),
            max_length=100,
        ),
        FieldDef(
            "parent_department",
            gettext_lazy("上级部门"),
            ("区域", "大区", "分公司", "parent department", "regional office", "office", "region"),
            max_length=100,
        ),
        FieldDef(
            "manager",
            gettext_lazy("上级"),
            ("直属上级", "经理", "主管", "manager", "leader", "supervisor"),
            max_length=50,
        ),
        FieldDef(
            "roles",
            gettext_lazy("角色"),
            ("岗位", "roles", "role"),
            kind="ref",
            resolve=resolve_roles,
            help=gettext_lazy("角色代码或名称，多个用逗号分隔。"),
        ),
        FieldDef("title", gettext_lazy("职位"), ("职务", "title", "position"), max_length=50),
        FieldDef("phone", gettext_lazy("手机"), ("电话", "phone", "mobile"), max_length=30),
        FieldDef("email", gettext_lazy("邮箱"), ("email", "e-mail")),
    ]

    def _username(self, values) -> str:
        username = values.get("username") or username_for(values.get("display_name") or "")
        if not username:
            raise ValidationError({"username": _("姓名不含英文字母，请填写用户名。")})
        return username

    def find(self, values, ctx):
        from salesflow.org.models import User

        return User.objects.filter(username__iexact=self._username(values)).first()

    def create(self, values, ctx, *, allow_duplicate):
        from salesflow.org.services import user_create

        reject_sensitive({k: values.get(k) or "" for k in ("display_name", "title", "phone")})
        created: list = []
        department = None
        if values.get("department") or values.get("parent_department"):
            department = _department(
                values.get("department") or values["parent_department"],
                values.get("parent_department") if values.get("department") else None,
                ctx,
                created,
            )
        manager = None
        if values.get("manager"):
            manager = _manager(values["manager"], department, ctx, created)
        user = user_create(
            actor=ctx.actor,
            username=self._username(values),
            display_name=values["display_name"],
            department=department,
            manager=manager,
            roles=values.get("roles") or [],
            email=values.get("email") or "",
            phone=values.get("phone") or "",
            title=values.get("title") or "",
        )
        ctx.forget("user")
        return WriteResult(user, "created", extra_created=created)

    def update(self, obj, values, ctx):
        from salesflow.core.audit import snapshot
        from salesflow.org.services import user_audit_change

        before = snapshot(obj)
        for key in ("display_name", "title", "phone", "email"):
            if values.get(key):
                setattr(obj, key, values[key])
        obj.full_clean(exclude=["password"])
        obj.save()
        user_audit_change(actor=ctx.actor, user=obj, before=before)
        return WriteResult(obj, "updated")


class DepartmentEntity(Entity):
    key = "department"
    label = gettext_lazy("团队/部门")
    object_type = "org.department"
    admin_only = True
    model_label = "org.department"
    duplicate_key_label = gettext_lazy("同一上级下的部门名称")
    fields = [
        FieldDef(
            "name",
            gettext_lazy("部门名称"),
            ("部门", "团队", "名称", "department", "team", "name"),
            required=True,
            max_length=100,
        ),
        FieldDef(
            "parent",
            gettext_lazy("上级部门"),
            ("上级", "parent", "parent department"),
            max_length=100,
        ),
        FieldDef("region", gettext_lazy("区域"), ("地区", "region"), max_length=50),
    ]

    def find(self, values, ctx):
        from salesflow.org.models import Department

        qs = Department.objects.filter(name=values.get("name") or "")
        if values.get("parent"):
            qs = qs.filter(parent__name=values["parent"])
        else:
            qs = qs.filter(parent__isnull=True)
        return qs.first()

    def create(self, values, ctx, *, allow_duplicate):
        from salesflow.org.services import department_create

        created: list = []
        parent = _department(values["parent"], None, ctx, created) if values.get("parent") else None
        department = department_create(
            actor=ctx.actor, name=values["name"], parent=parent, region=values.get("region") or ""
        )
        return WriteResult(department, "created", extra_created=created)

    def update(self, obj, values, ctx):
        from salesflow.core.audit import snapshot
        from salesflow.org.services import department_save

        before = snapshot(obj)
        if values.get("region"):
            obj.region = values["region"]
        return WriteResult(
            department_save(actor=ctx.actor, department=obj, before=before), "updated"
        )
