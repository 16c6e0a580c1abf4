"""Forms of the import pages: upload, mapping (one row per field of the entity), run options,
profile file upload."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .mapping import DUPLICATE_POLICIES, Profile
from .models import ImportProfile, RunMode

DUPLICATE_LABELS = {
    "skip": gettext_lazy("跳过已存在的记录"),
    "update": gettext_lazy("更新已存在的记录（空单元格不覆盖原值）"),
    "create": gettext_lazy("仍然新建（可能产生重复）"),
}


class UploadForm(forms.Form):
    entity = forms.ChoiceField(label=gettext_lazy("导入对象"))
    file = forms.FileField(
        label=gettext_lazy("文件"),
        help_text=gettext_lazy("支持 .xlsx、.xls、.csv（UTF-8 或 GBK 编码）；第一张工作表。"),
    )
    profile = forms.ModelChoiceField(
        label=gettext_lazy("导入方案"),
        queryset=ImportProfile.objects.none(),
        required=False,
        empty_label=gettext_lazy("（不使用，按表头自动匹配）"),
    )

    def __init__(self, *args, entities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [(e.key, e.label) for e in entities]
        self.fields["profile"].queryset = ImportProfile.objects.filter(
            entity__in=[e.key for e in entities]
        )

    def clean(self):
        data = super().clean()
        profile = data.get("profile")
        if profile and data.get("entity") and profile.entity != data["entity"]:
            self.add_error("profile", _("该方案用于导入其他对象。"))
        return data


def parse_value_map(text: str) -> dict:
    """Lines ``原值 => 新值`` (or ``原值 = 新值``) → dict."""
    table = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        sep = "=>" if "=>" in line else ("=" if "=" in line else None)
        if sep is None:
            raise forms.ValidationError(_("每行写一条：原值 => 新值。"))
        source, target = (part.strip() for part in line.split(sep, 1))
        if source:
            table[source] = target
    return table


def format_value_map(table: dict) -> str:
    return "\n".join(f"{k} => {v}" for k, v in (table or {}).items())


class MappingForm(forms.Form):
    """For each field: the column it comes from, a value map and a default."""

    header_row = forms.IntegerField(
        label=gettext_lazy("表头所在行"),
        min_value=1,
        help_text=gettext_lazy("自动识别；表头上方有标题行时可修改。"),
    )
    duplicates = forms.ChoiceField(
        label=gettext_lazy("遇到重复记录"),
        choices=[(p, DUPLICATE_LABELS[p]) for p in DUPLICATE_POLICIES],
        widget=forms.RadioSelect,
    )
    create_missing = forms.MultipleChoiceField(
        label=gettext_lazy("参考项不存在时新建"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("例如新的行业、产品线；新建的项目会列在导入结果里。"),
    )
    profile_name = forms.CharField(
        label=gettext_lazy("另存为导入方案"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("填写名称即保存，下次上传同样格式的文件时直接选用。"),
    )

    REF_OPTIONS = ("industry", "region", "product_line", "source", "lost_reason", "department",
                   "manager")  # fmt: skip

    def __init__(self, *args, entity, headers, profile: Profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        columns = [("", _("（不导入）"))] + [(h, h) for h in headers]
        self.initial.setdefault("header_row", profile.header_row or 1)
        self.initial.setdefault("duplicates", profile.duplicates)
        self.initial.setdefault("create_missing", profile.create_missing)
        self.fields["create_missing"].choices = [
            (f.name, f.label) for f in entity.fields if f.name in self.REF_OPTIONS
        ]
        self.rows = []
        for f in entity.fields:
            column = forms.ChoiceField(label=f.label, choices=columns, required=False)
            value_map = forms.CharField(
                label=_("值映射"), required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
            default = forms.CharField(label=_("默认值"), required=False)
            self.fields[f"col_{f.name}"] = column
            self.fields[f"map_{f.name}"] = value_map
            self.fields[f"def_{f.name}"] = default
            current = profile.columns.get(f.name, "")
            self.initial.setdefault(f"col_{f.name}", current if current in headers else "")
            self.initial.setdefault(
                f"map_{f.name}", format_value_map(profile.value_maps.get(f.name))
            )
            self.initial.setdefault(f"def_{f.name}", profile.defaults.get(f.name, ""))
            self.rows.append(
                {
                    "field": f,
                    "column": self[f"col_{f.name}"],
                    "value_map": self[f"map_{f.name}"],
                    "default": self[f"def_{f.name}"],
                    "composed": profile.compose.get(f.name, ""),
                }
            )
        self.base_profile = profile

    def clean(self):
        data = super().clean()
        for f in self.entity.fields:
            try:
                data[f"map_{f.name}"] = parse_value_map(data.get(f"map_{f.name}", ""))
            except forms.ValidationError as exc:
                self.add_error(f"map_{f.name}", exc)
        return data

    def profile(self) -> Profile:
        data = self.cleaned_data
        base = self.base_profile
        names = [f.name for f in self.entity.fields]
        return Profile.from_json(
            {
                **base.to_json(),
                "entity": self.entity.key,
                "header_row": data["header_row"],
                "columns": {n: data[f"col_{n}"] for n in names if data.get(f"col_{n}")},
                "value_maps": {n: data[f"map_{n}"] for n in names if data.get(f"map_{n}")},
                "defaults": {n: data[f"def_{n}"] for n in names if data.get(f"def_{n}")},
                "duplicates": data["duplicates"],
                "create_missing": list(data.get("create_missing") or []),
            }
        )


class RunForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("导入模式"),
        choices=RunMode.choices,
        initial=RunMode.PARTIAL,
        widget=forms.RadioSelect,
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("试运行（全部校验，不写入任何数据）"), required=False, initial=True
    )


class ProfileFileForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("方案文件（JSON）"))
    name = forms.CharField(
        label=gettext_lazy("方案名称"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("留空则使用文件中的名称。"),
    )
