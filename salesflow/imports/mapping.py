"""Profiles and column mapping.

A profile is plain JSON, the same in the database, in an exported file and in
``examples/import-profiles/``::

    {"name": "…", "entity": "customer", "header_row": null,
     "columns": {"name": "客户名称", "industry": "行业"},      # field → column header
     "compose": {"notes": "成立于 {year_established}"},       # field → text built from columns
     "value_maps": {"industry": {"technolgy": "信息技术"}},   # field → {cell text: value}
     "defaults": {"standard_cost": "0"},                       # field → value for empty cells
     "scale": {"annual_revenue": 100},                          # field → multiplier for numbers
     "duplicates": "skip",                                      # skip | update | create
     "create_missing": ["industry"],                            # reference lists to extend
     "options": {"template": "标准B2B销售流程"}}
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from salesflow.core.errors import ValidationError

from .entities import Entity, get_entity
from .reading import header_key

DUPLICATE_POLICIES = ("skip", "update", "create")
COMPOSE_RE = re.compile(r"\{([^{}]+)\}")


@dataclass
class Profile:
    entity: str
    name: str = ""
    description: str = ""
    header_row: int | None = None  # 1-based; None = detect
    columns: dict = field(default_factory=dict)
    compose: dict = field(default_factory=dict)
    value_maps: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)
    scale: dict = field(default_factory=dict)
    duplicates: str = "skip"
    create_missing: list = field(default_factory=list)
    options: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict | str) -> Profile:
        """A checked profile; unknown entities, fields or policies are refused."""
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise ValidationError(
                    _("方案文件不是有效的 JSON：%(err)s") % {"err": exc}
                ) from None
        if not isinstance(data, dict):
            raise ValidationError(_("方案文件格式不正确。"))
        known = {f.name for f in cls.__dataclass_fields__.values()}
        profile = cls(**{k: v for k, v in data.items() if k in known})
        try:
            entity = get_entity(profile.entity)
        except KeyError:
            raise ValidationError(_("未知的导入对象“%(v)s”。") % {"v": profile.entity}) from None
        names = {f.name for f in entity.fields}
        for section in ("columns", "compose", "value_maps", "defaults", "scale"):
            value = getattr(profile, section)
            if not isinstance(value, dict):
                raise ValidationError(_("方案中的 %(s)s 应为对象。") % {"s": section})
            unknown = set(value) - names
            if unknown:
                raise ValidationError(
                    _("方案中有%(entity)s没有的字段：%(fields)s")
                    % {"entity": entity.label, "fields": "、".join(sorted(unknown))}
                )
        if profile.duplicates not in DUPLICATE_POLICIES:
            raise ValidationError(_("重复处理方式应为 skip、update 或 create。"))
        if profile.header_row is not None and (
            not isinstance(profile.header_row, int) or profile.header_row < 1
        ):
            raise ValidationError(_("表头行号应为正整数。"))
        return profile

    def to_json(self) -> dict:
        return asdict(self)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)

    @property
    def entity_def(self) -> Entity:
        return get_entity(self.entity)


def known_header_keys(entity: Entity) -> set[str]:
    keys: set[str] = set()
    for f in entity.fields:
        keys |= f.header_keys()
    return keys


def suggest_columns(entity: Entity, headers: list) -> dict:
    """field → header, from the Chinese and English names each field declares; each header
    is used once, exact matches first, then a header that contains a field's name."""
    keyed = [(str(h), header_key(h)) for h in headers if str(h).strip()]
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for f in entity.fields:
        keys = f.header_keys()
        for header, key in keyed:
            if key in keys and header not in used:
                mapping[f.name], _unused = header, used.add(header)
                break
    for f in entity.fields:
        if f.name in mapping:
            continue
        keys = {k for k in f.header_keys() if len(k) >= 2}
        for header, key in keyed:
            if header not in used and any(k in key for k in keys):
                mapping[f.name] = header
                used.add(header)
                break
    return mapping


def _lookup_map(table: dict, raw):
    text = str(raw).strip()
    if text in table:
        return True, table[text]
    lowered = text.lower()
    for key, value in table.items():
        if str(key).strip().lower() == lowered:
            return True, value
    return False, raw


def raw_values(profile: Profile, cells: dict) -> tuple[dict, list[str]]:
    """The raw value of each mapped field for one row (``cells``: header → cell), after value
    maps, defaults and scaling; with the value-map hits (for the report)."""
    values: dict = {}
    hits: list[str] = []
    for name, header in profile.columns.items():
        values[name] = cells.get(header, "")
    for name, template in profile.compose.items():
        values[name] = COMPOSE_RE.sub(
            lambda m: str(cells.get(m.group(1).strip(), "")), str(template)
        ).strip()
    for name, table in profile.value_maps.items():
        raw = values.get(name, "")
        if raw == "" or raw is None:
            continue
        found, mapped = _lookup_map(table, raw)
        if found:
            if str(mapped) != str(raw):
                hits.append(f"{name}: {raw} → {mapped}")
            values[name] = mapped
    for name, default in profile.defaults.items():
        if values.get(name) in ("", None):
            values[name] = default
    for name, factor in profile.scale.items():
        raw = values.get(name)
        if raw in ("", None):
            continue
        # A value that is not a number is left as is: the field's own parser reports it.
        with contextlib.suppress(InvalidOperation):
            values[name] = Decimal(str(raw).replace(",", "")) * Decimal(str(factor))
    return values, hits
