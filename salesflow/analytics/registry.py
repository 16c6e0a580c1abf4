"""The one list of analyses. Every analysis (funnel, KPIs, targets, complaint rate …) registers
here once; the analysis pages, their xlsx export and ``manage.py report NAME`` all call the same
``compute`` so the command line prints exactly what the page shows.

An analysis is a function ``compute(user, params) -> Result``. It must build its querysets from
scope-restricted selectors (``restrict(user, "view")``) so that a rep sees self, a manager the
team and a director the company, and aggregate in the database (bounded queries).
Ratios whose denominator is zero are ``None`` and shown as "—".
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

EMPTY = "—"


@dataclass(frozen=True)
class Params:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    group_by: str = ""
    # Analysis-specific filters (e.g. {"template": 3, "cohort": "created"}); strings from the
    # query string or the command line.
    extra: dict = field(default_factory=dict)


@dataclass
class Result:
    # (key, label) pairs: the table's columns in order; rows are dicts keyed by ``key``.
    columns: list[tuple[str, str]]
    rows: list[dict]
    # An ECharts option dict (JSON-serialisable) or None when the analysis has no chart.
    chart: dict | None = None
    totals: dict | None = None
    notes: list[str] = field(default_factory=list)

    def table(self) -> tuple[list[str], list[list]]:
        """Headers and rows in column order, for exports and the CLI."""
        headers = [str(label) for _key, label in self.columns]
        rows = [[row.get(key) for key, _label in self.columns] for row in self.rows]
        if self.totals:
            rows.append([self.totals.get(key) for key, _label in self.columns])
        return headers, rows


@dataclass(frozen=True)
class Analysis:
    name: str  # the CLI name, e.g. "funnel"; lowercase, underscores
    title: str  # lazy Chinese label
    compute: Callable[..., Result]
    url_name: str = ""  # the page, if any (reverse() without arguments)
    description: str = ""  # formula and source, shown as help text
    group_by_choices: tuple[str, ...] = ()
    # Object type whose "view" right the page requires (e.g. "report", "target", "complaint").
    object_type: str = "report"
    # Extra select filters of the page and the command line: ((key, label, ((value, label), …)), …)
    # read from ``Params.extra``; the first choice is the default.
    options: tuple = ()


_analyses: dict[str, Analysis] = {}


def register(analysis: Analysis) -> Analysis:
    existing = _analyses.get(analysis.name)
    if existing is not None and existing.compute is not analysis.compute:
        raise ValueError(f"analysis {analysis.name!r} is already registered")
    _analyses[analysis.name] = analysis
    return analysis


def get(name: str) -> Analysis:
    return _analyses[name]


def all_analyses() -> list[Analysis]:
    return sorted(_analyses.values(), key=lambda a: a.name)


def ratio(numerator, denominator, places: int = 4) -> Decimal | None:
    """``numerator / denominator`` as a Decimal rounded to ``places``; None when the denominator
    is zero or missing (shown as "—")."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1).scaleb(-places))


def cell(value):
    """A value for an export or the command line: None → "—", everything else unchanged."""
    return EMPTY if value is None else value


def show(value) -> str:
    """A cell for display: None → "—"."""
    return EMPTY if value is None else str(value)
