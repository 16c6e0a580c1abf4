"""The importable entities, declared once; pages, CLI and engine read them from here."""

from __future__ import annotations

from functools import cache

from .base import CellError, Entity, FieldDef, WriteResult
from .refs import ImportContext

__all__ = [
    "CellError",
    "Entity",
    "FieldDef",
    "ImportContext",
    "WriteResult",
    "all_entities",
    "get_entity",
]


@cache
def _registry() -> dict[str, Entity]:
    from .customers import ContactEntity, CustomerEntity
    from .deals import OrderEntity, ReceiptEntity
    from .leads import LeadEntity
    from .opportunities import OpportunityEntity
    from .org import DepartmentEntity, UserEntity
    from .products import ProductEntity

    entities = [
        CustomerEntity(),
        ContactEntity(),
        LeadEntity(),
        ProductEntity(),
        OpportunityEntity(),
        OrderEntity(),
        ReceiptEntity(),
        UserEntity(),
        DepartmentEntity(),
    ]
    return {e.key: e for e in entities}


def all_entities() -> list[Entity]:
    return list(_registry().values())


def get_entity(key: str) -> Entity:
    try:
        return _registry()[key]
    except KeyError:
        raise KeyError(key) from None
