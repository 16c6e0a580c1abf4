import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from salesflow.core.normalize import normalize_company_name, normalize_email, normalize_phone
from salesflow.core.pii import (
    find_sensitive,
    is_valid_id_card,
    luhn_ok,
    mask_email,
    mask_phone,
    reject_sensitive,
)

VALID_ID = "11010519491231002X"  # the GB 11643 textbook example
VALID_CARD = "6222021234567890128"  # 19 digits, passes Luhn


def test_id_card_check_digit():
    assert is_valid_id_card(VALID_ID)
    assert not is_valid_id_card("110105194912310021")  # wrong check digit
    assert not is_valid_id_card("110105194913310028")  # month 13


def test_luhn():
    assert luhn_ok(VALID_CARD)
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"客户身份证 {VALID_ID} 请核对", "id_card"),
        (f"身份证号{VALID_ID.lower()}", "id_card"),
        ("卡号 6222 0212 3456 7890 128", "bank_card"),
        ("卡号 4111-1111-1111-1111", "bank_card"),
        ("电话 13800138000，预算 15–20万", None),
        ("订单号 110105194912310021", None),  # 18 digits, invalid check digit, fails Luhn
        ("0000000000000000", None),
        ("", None),
    ],
)
def test_find_sensitive(text, kind):
    assert find_sensitive(text) == kind


def test_reject_sensitive_names_each_field():
    with pytest.raises(ValidationError) as exc:
        reject_sensitive({"notes": f"ID {VALID_ID}", "needs": "正常需求", "x": VALID_CARD})
    assert set(exc.value.message_dict) == {"notes", "x"}
    assert "身份证" in exc.value.message_dict["notes"][0]
    reject_sensitive({"notes": "无敏感信息 13800138000"})


def test_masking():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234").endswith("1234")
    assert "1234-1234" not in mask_phone("+86 138-1234-1234")
    assert mask_phone("") == ""
    assert mask_email("zhang.wei@example.cn") == "z***@example.cn"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("上海华信智能装备有限公司", "上海华信智能装备"),
        ("上海 华信智能装备 有限责任公司", "上海华信智能装备股份有限公司"),
        ("华信（集团）有限公司", "华信(集团)"),
        ("华信集团", "华信"),
        ("ＡＢＣ科技有限公司", "abc科技"),
        ("Acme Co., Ltd.", "ACME LIMITED"),
    ],
)
def test_company_names_that_are_the_same(a, b):
    assert normalize_company_name(a) == normalize_company_name(b)


def test_branch_in_brackets_is_a_different_company():
    assert normalize_company_name("华信(上海)有限公司") != normalize_company_name("华信有限公司")


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("021-6123 4567", "02161234567"),
        ("+86 21 6123 4567", "02161234567"),
        ("123", ""),
    ],
)
def test_phone_keys(raw, key):
    assert normalize_phone(raw) == key


def test_email_key():
    assert normalize_email(" Zhang.Wei@Example.CN ") == "zhang.wei@example.cn"


@given(st.text(max_size=60))
def test_normalizers_are_idempotent(text):
    once = normalize_company_name(text)
    assert normalize_company_name(once) == once
    assert normalize_phone(normalize_phone(text)) == normalize_phone(text)
