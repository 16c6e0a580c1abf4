"""Column suggestions, value maps, defaults and profiles as JSON."""

import json

import pytest

from salesflow.core.errors import ValidationError
from salesflow.imports.entities import get_entity
from salesflow.imports.mapping import Profile, raw_values, suggest_columns
from salesflow.imports.models import ImportProfile
from salesflow.imports.services import profile_load, profile_save


def test_suggestions_from_chinese_headers():
    headers = ["序号", "企业名称", "所属行业", "联系电话", "备注说明"]
    mapping = suggest_columns(get_entity("customer"), headers)
    assert mapping["name"] == "企业名称"
    assert mapping["industry"] == "所属行业"
    assert mapping["phone"] == "联系电话"
    assert "序号" not in mapping.values()


def test_suggestions_from_english_headers():
    headers = ["opportunity_id", "sales_agent", "product", "account", "deal_stage", "close_value"]
    mapping = suggest_columns(get_entity("opportunity"), headers)
    assert mapping["customer"] == "account"
    assert mapping["owner"] == "sales_agent"
    assert mapping["product"] == "product"
    assert mapping["stage"] == "deal_stage"
    assert mapping["amount"] == "close_value"


def test_value_maps_defaults_compose_and_scale():
    profile = Profile.from_json(
        {
            "entity": "customer",
            "columns": {"name": "account", "industry": "sector", "annual_revenue": "rev"},
            "compose": {"notes": "成立于 {year}"},
            "value_maps": {"industry": {"technolgy": "信息技术"}},
            "defaults": {"employees": "10"},
            "scale": {"annual_revenue": 100},
        }
    )
    values, hits = raw_values(
        profile, {"account": "Acme", "sector": "Technolgy", "rev": "1.5", "year": "1996"}
    )
    assert values["industry"] == "信息技术"  # case-insensitive match of the typo
    assert hits == ["industry: Technolgy → 信息技术"]
    assert values["employees"] == "10"
    assert values["notes"] == "成立于 1996"
    assert str(values["annual_revenue"]) == "150.0"


def test_profile_refuses_unknown_fields_and_policies():
    with pytest.raises(ValidationError):
        Profile.from_json({"entity": "customer", "columns": {"nope": "x"}})
    with pytest.raises(ValidationError):
        Profile.from_json({"entity": "customer", "duplicates": "merge"})
    with pytest.raises(ValidationError):
        Profile.from_json({"entity": "spaceship"})
    with pytest.raises(ValidationError):
        Profile.from_json("{not json")


def test_profile_round_trip_through_a_json_file(people):
    admin = people["admin"]
    profile = Profile.from_json(
        {"entity": "customer", "columns": {"name": "公司"}, "value_maps": {"industry": {"a": "b"}}}
    )
    saved = profile_save(actor=admin, profile=profile, name="客户名单")
    exported = json.dumps(saved.config, ensure_ascii=False).encode()
    saved.delete()
    loaded = profile_load(actor=admin, data=exported)
    assert loaded.name == "客户名单"
    assert loaded.config["value_maps"] == {"industry": {"a": "b"}}
    assert ImportProfile.objects.count() == 1


def test_examples_profiles_are_valid():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[3] / "examples" / "import-profiles"
    files = sorted(folder.glob("*.json"))
    assert len(files) == 4
    for path in files:
        Profile.from_json(path.read_text(encoding="utf-8"))
