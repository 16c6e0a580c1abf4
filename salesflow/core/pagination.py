"""Pagination for big lists: the total is counted only up to a cap (default 10,000), so a page
of a 200,000-row table costs a bounded count; beyond the cap the page shows "10,000+"."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class BoundedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int = COUNT_CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if hasattr(qs, "order_by"):  # a queryset: COUNT over a LIMITed subquery stops early
            return qs.order_by()[: self.cap + 1].count()
        return min(len(qs), self.cap + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def bounded_page(queryset, per_page: int, number):
    return BoundedPaginator(queryset, per_page).get_page(number)
