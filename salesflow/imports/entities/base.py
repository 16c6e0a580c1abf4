"""What an importable entity declares once: its fields (Chinese label, Chinese/English
aliases, required, type, how a cell becomes a value) and how a row is written through the
owning app's services."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..reading import header_key

EXCEL_EPOCH = datetime.date(1899, 12, 30)
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
TRUE_WORDS = {"1", "是", "y", "yes", "true", "t", "√", "✓", "on"}
FALSE_WORDS = {"0", "否", "n", "no", "false", "f", "×", "off"}


class CellError(Exception):
    """A cell that cannot become a value of its field."""


@dataclass
class FieldDef:
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    kind: str = "text"  # text | int | decimal | date | bool | choice | ref
    required: bool = False
    max_length: int | None = None
    choices: dict | None = None  # choice: stored value → label (labels are also accepted)
    resolve: object = None  # ref: callable(text, ctx) → object, raises CellError
    help: str = ""

    def header_keys(self) -> set[str]:
        return {header_key(a) for a in (self.name, str(self.label), *self.aliases)}

    def parse(self, value, ctx):
        """The typed value of one cell ('' and None mean empty → None)."""
        if value is None or value == "":
            return None
        parser = getattr(self, f"_parse_{self.kind}")
        return parser(value, ctx)

    def _parse_text(self, value, ctx):
        text = value.isoformat() if isinstance(value, datetime.date) else str(value).strip()
        if self.max_length and len(text) > self.max_length:
            raise CellError(_("超过 %(n)s 个字符。") % {"n": self.max_length})
        return text

    def _parse_int(self, value, ctx):
        number = self._parse_decimal(value, ctx)
        if number != number.to_integral_value():
            raise CellError(_("请填写整数。"))
        return int(number)

    def _parse_decimal(self, value, ctx):
        if isinstance(value, bool):
            raise CellError(_("请填写数字。"))
        text = str(value).strip().replace(",", "").replace("，", "").replace("¥", "")
        text = text.replace("￥", "").replace("元", "").strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(_("“%(v)s”不是数字。") % {"v": value}) from None
        if not number.is_finite():
            raise CellError(_("“%(v)s”不是数字。") % {"v": value})
        if number < 0:
            raise CellError(_("不能为负数。"))
        return number

    def _parse_date(self, value, ctx):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, int | float) and 1 <= value < 2958466:  # an Excel serial day
            return EXCEL_EPOCH + datetime.timedelta(days=int(value))
        text = str(value).strip()
        match = DATE_RE.match(text)
        if match is None and re.fullmatch(r"\d{8}", text):
            match = re.match(r"(\d{4})(\d{2})(\d{2})", text)
        if match:
            try:
                return datetime.date(*(int(g) for g in match.groups()[:3]))
            except ValueError:
                pass
        raise CellError(_("“%(v)s”不是有效日期（例如 2024-03-01）。") % {"v": value})

    def _parse_bool(self, value, ctx):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise CellError(_("请填写“是”或“否”。"))

    def _parse_choice(self, value, ctx):
        text = str(value).strip()
        for stored, label in (self.choices or {}).items():
            if text.lower() in (str(stored).lower(), str(label).lower()):
                return stored
        options = "、".join(str(label) for label in (self.choices or {}).values())
        raise CellError(_("“%(v)s”不在可选值中（%(options)s）。") % {"v": text, "options": options})

    def _parse_ref(self, value, ctx):
        return self.resolve(str(value).strip(), ctx)


@dataclass
class WriteResult:
    obj: object
    action: str  # created | updated
    extra_created: list = field(default_factory=list)  # e.g. a manager made for a user row
    notes: list = field(default_factory=list)


class Entity:
    """One importable kind of record. Subclasses declare ``fields`` and implement ``find``,
    ``create`` and ``update`` through the owning app's services."""

    key = ""
    label = ""
    object_type = ""  # the right checked: ``add`` (and ``change`` to update)
    admin_only = False
    model_label = ""
    fields: list[FieldDef] = []
    # Fields that together form the duplicate key (shown in the mapping page).
    duplicate_key_label = gettext_lazy("—")

    def field(self, name: str) -> FieldDef:
        return next(f for f in self.fields if f.name == name)

    def can_import(self, user) -> bool:
        from salesflow.core.scope import has_right

        if self.admin_only:
            return bool(getattr(user, "is_superuser", False)) or has_right(user, "org.user", "add")
        return has_right(user, self.object_type, "add")

    def find(self, values: dict, ctx):
        """The existing record this row duplicates (any scope), or None."""
        return None

    def create(self, values: dict, ctx, *, allow_duplicate: bool) -> WriteResult:
        raise NotImplementedError

    def update(self, obj, values: dict, ctx) -> WriteResult:
        raise NotImplementedError

    def describe(self, obj) -> str:
        return str(obj)
