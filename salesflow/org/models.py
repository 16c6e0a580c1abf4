from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .rights import ALL_ACTIONS, OBJECT_TYPES, Action, DataScope


class Department(models.Model):
    """A node of the department tree. ``path`` ("/1/4/9/") makes subtree queries one indexed
    prefix filter; it is maintained by ``org.services`` whenever a department moves."""

    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("路径"), max_length=500, editable=False, default="", db_index=True)
    depth = models.PositiveSmallIntegerField(_("层级"), editable=False, default=0)
    region = models.CharField(
        _("区域"), max_length=50, blank=True, help_text=_("如 华东、华南、华北；用于按区域统计")
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.pk}/"

    def clean(self):
        node = self.parent
        while node is not None:
            if self.pk and node.pk == self.pk:
                raise ValidationError({"parent": _("上级部门不能是自己或自己的下级部门。")})
            node = node.parent

    @property
    def full_name(self) -> str:
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))


class Role(models.Model):
    code = models.SlugField(_("代码"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    description = models.TextField(_("说明"), blank=True)
    data_scope = models.CharField(
        _("默认数据范围"), max_length=20, choices=DataScope.choices, default=DataScope.OWN
    )
    is_system = models.BooleanField(
        _("系统预置"), default=False, help_text=_("预置角色可以修改权限，但不能删除。")
    )

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class RolePermission(models.Model):
    """What a role may do with one object type, and within which data scope."""

    role = models.ForeignKey(
        Role, verbose_name=_("角色"), on_delete=models.CASCADE, related_name="permissions"
    )
    # Validated against OBJECT_TYPES (not DB choices, so that a new module's type needs no
    # migration of this table).
    object_type = models.CharField(_("对象类型"), max_length=50)
    actions = models.JSONField(_("操作"), default=list, blank=True)
    data_scope = models.CharField(
        _("数据范围"),
        max_length=20,
        choices=DataScope.choices,
        blank=True,
        help_text=_("留空则使用角色的默认数据范围。"),
    )

    class Meta:
        verbose_name = _("角色权限")
        verbose_name_plural = _("角色权限")
        constraints = [
            models.UniqueConstraint(fields=["role", "object_type"], name="uniq_role_object_type")
        ]

    def __str__(self) -> str:
        return f"{self.role} · {self.object_type_label}"

    @property
    def object_type_label(self) -> str:
        return str(OBJECT_TYPES.get(self.object_type, self.object_type))

    def clean(self):
        if self.object_type not in OBJECT_TYPES:
            raise ValidationError({"object_type": _("未知的对象类型。")})
        unknown = sorted(set(self.actions or []) - set(ALL_ACTIONS))
        if unknown:
            raise ValidationError({"actions": _("未知操作：%s") % ", ".join(unknown)})

    @property
    def effective_scope(self) -> str:
        return self.data_scope or self.role.data_scope

    def action_labels(self) -> str:
        labels = dict(Action.choices)
        return "、".join(str(labels[a]) for a in self.actions if a in labels)


class User(AbstractUser):
    """A person who signs in. ``username`` is the login name; ``display_name`` the Chinese name."""

    display_name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机"), max_length=30, blank=True)
    title = models.CharField(_("职位"), max_length=50, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("直属上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    roles = models.ManyToManyField(Role, verbose_name=_("角色"), blank=True, related_name="users")

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name or self.username

    def get_full_name(self) -> str:
        return self.display_name or self.username

    def get_short_name(self) -> str:
        return self.display_name or self.username

    def clean(self):
        super().clean()
        node, seen = self.manager, set()
        while node is not None and node.pk not in seen:
            if self.pk and node.pk == self.pk:
                raise ValidationError({"manager": _("直属上级不能是自己或自己的下属。")})
            seen.add(node.pk)
            node = node.manager
