"""What every analysis shares: reading the filters (period, template, team), the scoped base
querysets, and the database functions the analyses aggregate with (days between two
timestamps, percentiles) on both SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.backends.signals import connection_created
from django.db.models import Aggregate, FloatField, Func
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .registry import Params

# --- period -------------------------------------------------------------------------------


def period(
    params: Params, today: datetime.date | None = None
) -> tuple[datetime.date, datetime.date]:
    """The period's first and last day (inclusive). Without dates: the year to date."""
    today = today or timezone.localdate()
    date_to = params.date_to or today
    date_from = params.date_from or date_to.replace(month=1, day=1)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    return date_from, date_to


def bounds(params: Params) -> tuple[datetime.datetime, datetime.datetime]:
    """``[start, end)`` as aware datetimes in the company time zone, for datetime fields."""
    date_from, date_to = period(params)
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return start, end


def int_param(params: Params, key: str) -> int | None:
    raw = str(params.extra.get(key) or "").strip()
    return int(raw) if raw.isdigit() else None


# --- scoped base querysets ----------------------------------------------------------------


def team_path(params: Params) -> str | None:
    """The department filter (``team`` = a department id): its subtree's path, or None."""
    team_id = int_param(params, "team")
    if team_id is None:
        return None
    from salesflow.org.models import Department

    path = Department.objects.filter(pk=team_id).values_list("path", flat=True).first()
    return path or "/nonexistent/"


def team_paths(params: Params, key: str) -> list[str] | None:
    """Several departments (``teams`` / ``exclude_teams`` = comma-separated department ids, as
    a pilot report compares its teams with the others): their subtrees' paths, or None."""
    raw = params.extra.get(key)
    if raw in (None, ""):
        return None
    ids = [int(part) for part in str(raw).split(",") if part.strip().isdigit()]
    from salesflow.org.models import Department

    return list(Department.objects.filter(pk__in=ids).values_list("path", flat=True))


def owned(qs, params: Params, owner_field: str = "owner"):
    """Apply the team filters (and the ``owner`` filter, a user id) to a queryset of owned
    rows."""
    field = f"{owner_field}__department__path__startswith"
    owner_id = int_param(params, "owner")
    if owner_id is not None:
        # one person's rows (an appraisal scorecard computes each KPI per person)
        qs = qs.filter(**{f"{owner_field}_id": owner_id})
    path = team_path(params)
    if path is not None:
        qs = qs.filter(**{field: path})
    include = team_paths(params, "teams")
    if include is not None:
        q = models.Q(pk__in=[])
        for team in include:
            q |= models.Q(**{field: team})
        qs = qs.filter(q)
    for team in team_paths(params, "exclude_teams") or ():
        qs = qs.exclude(**{field: team})
    return qs


def in_scope(model, user, owner_field: str = "owner"):
    """Rows of ``model`` the user may view *and* whose owner is within the user's data scope:
    analyses count a rep's own, a manager's team's, a director's company's records. The extra
    visibility some lists grant (collaborators, the unassigned-lead pool, leads one entered for
    someone else) does not add to anyone's figures."""
    from salesflow.core.scope import owner_ids_for, spec_for

    qs = model.objects.restrict(user, "view")
    ids = owner_ids_for(user, spec_for(model).object_type, "view")
    if ids is not None:
        qs = qs.filter(**{f"{owner_field}__in": sorted(ids)})
    return qs


def opportunities(user, params: Params):
    """Opportunities the user may view, filtered by template and team."""
    from salesflow.pipeline.models import Opportunity

    qs = owned(in_scope(Opportunity, user), params)
    template_id = int_param(params, "template")
    if template_id is not None:
        qs = qs.filter(template_version__template_id=template_id)
    return qs


def stage_events(user, params: Params):
    """Stage events of the opportunities the user may view (same filters)."""
    from salesflow.pipeline.models import StageEvent

    return StageEvent.objects.filter(opportunity__in=opportunities(user, params))


def leads(user, params: Params):
    from salesflow.leads.models import Lead

    return owned(in_scope(Lead, user), params)


def followups(user, params: Params):
    from salesflow.activities.models import FollowUp

    return owned(in_scope(FollowUp, user), params)


def template_choices() -> list[tuple[str, str]]:
    from salesflow.pipeline.models import ProcessTemplate

    return [(str(pk), name) for pk, name in ProcessTemplate.objects.values_list("id", "name")]


def default_template_version(params: Params):
    """The version whose stages make the rows of stage-based analyses: the chosen template's
    current version, else the first active template's."""
    from salesflow.pipeline.models import TemplateVersion

    qs = TemplateVersion.objects.filter(is_current=True, template__is_active=True)
    template_id = int_param(params, "template")
    if template_id is not None:
        qs = TemplateVersion.objects.filter(is_current=True, template_id=template_id)
    return qs.select_related("template").order_by("template_id").first()


# --- database functions -------------------------------------------------------------------


class DaysBetween(Func):
    """``end - start`` in (fractional) days, computed by the database."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s))",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)",
            arg_joiner=" - ",
            **extra,
        )


class Percentile(Aggregate):
    """The continuous percentile ``fraction`` (0–1) of an expression, as PostgreSQL's
    ``percentile_cont``; SQLite gets the same function registered on each connection."""

    name = "Percentile"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra):
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        filter_sql = ""
        if self.filter is not None:
            fsql, fparams = compiler.compile(self.filter)
            filter_sql = f" FILTER (WHERE {fsql})"
            params = (*params, *fparams)
        return (
            f"PERCENTILE_CONT({self.fraction!r}) WITHIN GROUP (ORDER BY {sql}){filter_sql}",
            params,
        )

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        if self.filter is not None:
            fsql, fparams = compiler.compile(self.filter)
            sql = f"CASE WHEN {fsql} THEN {sql} ELSE NULL END"
            params = (*fparams, *params)
        return f"sf_percentile({sql}, {self.fraction!r})", params

    def as_sql(self, compiler, connection, **extra):  # other databases
        raise NotImplementedError("Percentile needs PostgreSQL or SQLite")

    def get_group_by_cols(self):
        return []


class _SqlitePercentile:
    """``percentile_cont`` for SQLite: linear interpolation between the closest ranks."""

    def __init__(self):
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(float(value))

    def finalize(self):
        if not self.values:
            return None
        values = sorted(self.values)
        position = (len(values) - 1) * self.fraction
        low = int(position)
        high = min(low + 1, len(values) - 1)
        return values[low] + (values[high] - values[low]) * (position - low)


@receiver(connection_created)
def _register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("sf_percentile", 2, _SqlitePercentile)


# --- display ------------------------------------------------------------------------------


def pct(value: Decimal | None, places: int = 1) -> Decimal | None:
    """A ratio (0–1) as a percentage rounded once for display; None stays None ("—")."""
    if value is None:
        return None
    return (Decimal(value) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def num(value, places: int = 1) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


MONEY_FIELD = models.DecimalField(max_digits=20, decimal_places=2)

GROUP_LABELS = {
    "owner": _("负责人"),
    "team": _("团队"),
    "month": _("月份"),
    "product_line": _("产品线"),
    "customer_grade": _("客户等级"),
    "customer_tier": _("客户类型"),
    "stage": _("阶段"),
    "channel": _("渠道"),
}
