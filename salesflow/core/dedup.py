"""Duplicate-check results shared by leads and customers.

A match always names the existing record and its owner — also when that record is outside the
user's scope, in which case only the name and owner are shown (``in_scope`` False) and no link.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .errors import DomainError

REASONS = {"name": _("公司名称相同"), "phone": _("电话相同"), "email": _("邮箱相同")}


@dataclass(frozen=True)
class DuplicateMatch:
    kind: str  # "lead" | "customer"
    pk: int
    name: str
    owner_name: str
    reasons: tuple[str, ...]
    in_scope: bool
    url: str = ""

    @property
    def reason_labels(self) -> str:
        return "、".join(str(REASONS[r]) for r in self.reasons)

    @property
    def kind_label(self) -> str:
        return str(_("线索")) if self.kind == "lead" else str(_("客户"))


class DuplicateFound(DomainError):
    """Raised by a create/update service when duplicates exist and the user has not confirmed."""

    def __init__(self, matches: list[DuplicateMatch]):
        super().__init__(_("发现疑似重复的记录，请核对后再保存，或选择合并。"), code="duplicate")
        self.matches = matches


# Other modules add their own finders (leads registers one), so that a customer entry is also
# checked against leads without the customers module importing the leads module.
_extra_finders: list = []


def register_finder(finder) -> None:
    """``finder(user=, name_key=, phone_keys=, email_keys=, exclude=, limit=) -> [match]``."""
    if finder not in _extra_finders:
        _extra_finders.append(finder)


def extra_matches(**kwargs) -> list[DuplicateMatch]:
    matches: list[DuplicateMatch] = []
    for finder in _extra_finders:
        matches.extend(finder(**kwargs))
    return matches
