"""The answers pilots give to the kernel's hooks: the settings registry's override provider
(``get_setting(key, team=…, at=…)``) and the pipeline's version provider (which template version
a new opportunity of a team starts on).

A pilot applies to a team when one of its teams is that department or one above it, on the
days of its period (company time zone). When two pilots cover the same team and day, the one
that started last wins. Running pilots are read once per request or job (two small queries)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from salesflow.core.context import request_cache


@dataclass(frozen=True)
class ActivePilot:
    pk: int
    profile: dict
    version_id: int | None
    template_id: int | None
    team_paths: tuple[str, ...]

    def covers(self, path: str) -> bool:
        return any(path.startswith(team) for team in self.team_paths)


def active_pilots(day: datetime.date) -> list[ActivePilot]:
    cache = request_cache().setdefault("pilots.active", {})
    if day not in cache:
        from .models import Pilot

        pilots = (
            Pilot.objects.filter(start_date__lte=day, end_date__gte=day)
            .select_related("template_version")
            .prefetch_related("teams")
            .order_by("-start_date", "-id")
        )
        cache[day] = [
            ActivePilot(
                pk=p.pk,
                profile=dict(p.settings_profile or {}),
                version_id=p.template_version_id,
                template_id=p.template_version.template_id if p.template_version_id else None,
                team_paths=tuple(t.path for t in p.teams.all() if t.path),
            )
            for p in pilots
        ]
    return cache[day]


def _team_path(team) -> str | None:
    path = getattr(team, "path", None)
    if path:
        return path
    team_id = getattr(team, "pk", team)
    if team_id is None:
        return None
    cache = request_cache().setdefault("pilots.paths", {})
    if team_id not in cache:
        from salesflow.org.models import Department

        cache[team_id] = (
            Department.objects.filter(pk=team_id).values_list("path", flat=True).first()
        )
    return cache[team_id]


def pilot_for(team, at: datetime.datetime | None, want) -> ActivePilot | None:
    """The pilot that applies to ``team`` at ``at`` and has what ``want(pilot)`` asks for."""
    day = timezone.localdate(at or timezone.now())
    pilots = [p for p in active_pilots(day) if want(p)]
    if not pilots:
        return None
    path = _team_path(team)
    if not path:
        return None
    return next((p for p in pilots if p.covers(path)), None)


def setting_override(key: str, team, at: datetime.datetime):
    """Override provider of the settings registry: the pilot's raw value or None."""
    pilot = pilot_for(team, at, lambda p: key in p.profile)
    return None if pilot is None else pilot.profile[key]


def version_override(template, team_id: int, at: datetime.datetime):
    """Version provider of the pipeline: the pilot's template version for ``template``."""
    pilot = pilot_for(team_id, at, lambda p: p.template_id == template.pk)
    if pilot is None:
        return None
    from salesflow.pipeline.models import TemplateVersion

    return TemplateVersion.objects.get(pk=pilot.version_id)


def forget() -> None:
    """Drop the memo after a pilot changed (same request or job)."""
    cache = request_cache()
    for key in ("pilots.active", "setting_overrides"):
        cache.pop(key, None)
