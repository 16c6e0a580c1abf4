"""Personal data (个人信息保护法): what we refuse to store, and how contact details are masked.

* Text that contains a Chinese resident ID-card number (18 characters, valid check digit) or a
  bank-card number (13–19 digits passing the Luhn check) is refused.
* Phone numbers and e-mail addresses are masked (138****1234, z***@example.cn) for users without
  the "view contact details" right on the object type.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .scope import has_right

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# 18-character candidates not glued to other digits (so longer numbers are judged as cards).
_ID_RE = re.compile(r"(?<![0-9])([1-9][0-9]{16}[0-9Xx])(?![0-9Xx])")
# 13–19 digits, optionally grouped by single spaces or dashes, not glued to other digits.
_CARD_RE = re.compile(r"(?<![0-9])(?:[0-9][ -]?){12,18}[0-9](?![0-9])")
# A phone number with the country code (+86 138-1234-5678 → 8613812345678) has card length and
# passes the Luhn check one time in ten; it is a phone, not a card.
_INTL_PHONE_RE = re.compile(r"(?:0086|86)(?:1[3-9][0-9]{9}|0?[1-9][0-9]{8,10})")


def is_valid_id_card(number: str) -> bool:
    if len(number) != 18 or not number[:17].isdigit():
        return False
    month, day = int(number[10:12]), int(number[12:14])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def find_sensitive(text: str) -> str | None:
    """ "id_card" or "bank_card" when ``text`` contains one, else None."""
    if not text:
        return None
    for match in _ID_RE.finditer(text):
        if is_valid_id_card(match.group(1)):
            return "id_card"
    for match in _CARD_RE.finditer(text):
        digits = re.sub(r"[ -]", "", match.group(0))
        if _INTL_PHONE_RE.fullmatch(digits):
            continue
        if 13 <= len(digits) <= 19 and luhn_ok(digits) and len(set(digits)) > 1:
            return "bank_card"
    return None


SENSITIVE_MESSAGES = {
    "id_card": _("根据个人信息保护要求，不能保存身份证号码，请删除后再提交。"),
    "bank_card": _("根据个人信息保护要求，不能保存银行卡号，请删除后再提交。"),
}


def reject_sensitive(values: dict[str, str]) -> None:
    """Raise a ValidationError naming every field whose text holds an ID-card or bank-card
    number."""
    errors = {}
    for field, value in values.items():
        kind = find_sensitive(value if isinstance(value, str) else "")
        if kind:
            errors[field] = SENSITIVE_MESSAGES[kind]
    if errors:
        raise ValidationError(errors)


def mask_phone(phone: str) -> str:
    """138****1234; short numbers keep only their last 2 digits."""
    if not phone:
        return ""
    digits = [c for c in phone if c.isdigit()]
    if len(digits) >= 7:
        keep_head, keep_tail = 3, 4
    else:
        keep_head, keep_tail = 0, min(2, len(digits))
    positions = [i for i, c in enumerate(phone) if c.isdigit()]
    hidden = set(positions[keep_head : len(positions) - keep_tail])
    masked = "".join("*" if i in hidden else c for i, c in enumerate(phone))
    # Collapse the country prefix and separators: "+86 138-****-1234" stays readable.
    return masked


def mask_email(email: str) -> str:
    if not email or "@" not in email:
        return "***" if email else ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def can_view_contact(user, object_type: str) -> bool:
    return has_right(user, object_type, "view_contact")


def shown_phone(user, object_type: str, phone: str) -> str:
    return phone if can_view_contact(user, object_type) else mask_phone(phone)


def shown_email(user, object_type: str, email: str) -> str:
    return email if can_view_contact(user, object_type) else mask_email(email)
