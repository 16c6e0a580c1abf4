"""Normalised keys for the duplicate check (查重): company name, phone and e-mail.

The same function runs on entry, on edit and on import, and its result is stored in an indexed
column, so a duplicate lookup is an index equality match, never a table scan.
"""

import re
import unicodedata

# Longest first, so "有限责任公司" is removed before "有限公司" could leave "责任".
COMPANY_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "集团",
    "公司",
    # Latin forms, as they read after punctuation is dropped ("Co., Ltd." → "coltd").
    "colimited",
    "coltd",
    "limited",
    "ltd",
    "inc",
    "corporation",
    "corp",
    "llc",
    "gmbh",
)
_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "[": "(", "]": ")"})
_SPACE_RE = re.compile(r"[\s\u3000·・,，.。、&＆'\"“”‘’-]+")


def normalize_company_name(name: str) -> str:
    """The duplicate-check key of a company name (see ``_company_key_once``); applied until
    stable, so the key of a key is itself."""
    key = _company_key_once(name)
    for _ in range(3):
        again = _company_key_once(key)
        if again == key:
            break
        key = again
    return key


def _company_key_once(name: str) -> str:
    """ "上海 华信（集团）有限公司" and "上海华信(集团)" → the same key.

    NFKC folds full-width letters, digits and brackets to half width; case is folded; spaces
    and punctuation are dropped; bracketed parts are kept (a branch office in brackets is a
    different company) but their brackets are unified; the legal-form suffixes
    有限公司 / 有限责任公司 / 股份有限公司 / 集团 (and Ltd/Inc/…) are removed from the end.
    """
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    text = text.translate(_BRACKETS)
    text = _SPACE_RE.sub("", text)
    changed = True
    while changed and text:
        changed = False
        for suffix in COMPANY_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                changed = True
                break
        # "华信(集团)" — a suffix inside trailing brackets.
        if text.endswith(")") and "(" in text:
            inner_start = text.rfind("(")
            inner = text[inner_start + 1 : -1]
            if inner in COMPANY_SUFFIXES or inner == "":
                text = text[:inner_start]
                changed = True
    return text[:200]


def normalize_phone(phone: str) -> str:
    """ "+86 138-0013-8000", "0086 13800138000", "138 0013 8000" → "13800138000".

    Digits only, without the +86/0086 country prefix. Land lines keep their area code
    ("021-6123 4567" → "02161234567"). Too short to be a phone number → "".
    """
    if not phone:
        return ""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
    international = False
    if digits.startswith("0086"):
        digits, international = digits[4:], True
    elif digits.startswith("86") and len(digits) >= 12:  # mobiles start 1, land lines 0
        digits, international = digits[2:], True
    if international and digits and digits[0] not in "01":
        digits = "0" + digits  # +86 21 … is 021 … at home
    return digits if len(digits) >= 7 else ""


def normalize_email(email: str) -> str:
    if not email:
        return ""
    return unicodedata.normalize("NFKC", email).strip().casefold()
