"""The demo step: one finished pilot with a visible effect. The 华东区 team ran A-class leads
with a 12-hour first-contact limit (company: 24h) for two months ending two weeks ago. Its A
leads graded in that period get the deadline the pilot gave them and — the story of the pilot —
a faster first contact (most within 1–10 hours); the baseline months before stay as the leads
step made them. Customers of every team answer the short satisfaction survey and the team's
members give their feedback. Runs after every other step (it builds on their leads and
customers) and is idempotent (an existing pilot of that name is left alone)."""

from __future__ import annotations

import datetime

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from salesflow.org import demo

PILOT_NAME = "华东区A类线索12小时首次联系试点"
H = datetime.timedelta(hours=1)
SUGGESTIONS = [
    "晚上八点后进来的A类线索，12小时内联系有难度，建议按工作时间计时。",
    "首次联系话术可以再精简一些。",
    "时限缩短后跟进更及时，客户反馈也更好。",
    "希望系统在到期前两小时提醒。",
    "",
]


def _user(ctx, login: str):
    from salesflow.org.models import User

    return ctx.users.get(login) or User.objects.filter(username=login).first()


def _moment(rng, start: datetime.date, end: datetime.date) -> datetime.datetime:
    day = start + datetime.timedelta(days=rng.randint(0, (end - start).days))
    tz = timezone.get_current_timezone()
    return datetime.datetime.combine(day, datetime.time(rng.randint(9, 17)), tzinfo=tz)


def seed_pilots(ctx) -> None:
    from salesflow.org.models import Department

    from . import services
    from .models import Pilot

    if Pilot.objects.filter(name=PILOT_NAME).exists():
        return
    east = ctx.departments.get("east") or Department.objects.filter(name="华东区").first()
    director = _user(ctx, "director")
    if east is None or director is None:
        return
    end = timezone.localdate() - datetime.timedelta(days=14)
    start = end - datetime.timedelta(days=60)
    pilot = services.pilot_create(
        actor=director,
        data={
            "name": PILOT_NAME,
            "goal": "A类线索评级后12小时内首次联系（公司现行24小时），验证更快响应能否提高转化和满意度，"
            "同时了解销售的工作负担。",
            "start_date": start,
            "end_date": end,
            "settings_profile": {"lead.a_first_contact_sla": "12h"},
        },
        teams=[east],
    )
    rng = ctx.rng_for("pilots")
    ctx.count("A leads under the pilot", _replay_first_contacts(rng, pilot, east))
    ctx.count("satisfaction surveys", _surveys(rng, pilot, east, director))
    ctx.count("team feedback", _feedback(rng, pilot, east))
    services.refresh_statuses()
    ctx.count("pilots")


def _replay_first_contacts(rng, pilot, east) -> int:
    """The pilot team's A leads graded during the pilot: the deadline the 12h rule gives them
    and a faster first contact (the lead's audit entry moves with it)."""
    from salesflow.core.models import AuditEntry
    from salesflow.leads import rules
    from salesflow.leads.models import Lead, LeadGrade

    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(pilot.start_date, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(
        pilot.end_date + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    leads = Lead.all_objects.filter(
        owner__department__path__startswith=east.path,
        grade=LeadGrade.A,
        graded_at__gte=since,
        graded_at__lt=until,
    )
    content_type = ContentType.objects.get_for_model(Lead)
    count = 0
    for lead in leads:
        update = {"first_contact_due_at": rules.first_contact_due(lead.graded_at, team=east.pk)}
        if lead.first_contact_at is not None:
            faster = lead.graded_at + rng.uniform(1, 10) * H
            if rng.random() < 0.1:  # some are still late
                faster = lead.graded_at + rng.uniform(13, 30) * H
            if faster < lead.first_contact_at:
                entry = (
                    AuditEntry.objects.filter(
                        content_type=content_type, object_id=str(lead.pk), action="lead.contact"
                    )
                    .order_by("id")
                    .first()
                )
                if entry is not None:
                    AuditEntry.objects.filter(pk=entry.pk).update(at=faster)
                update["first_contact_at"] = faster
        Lead.all_objects.filter(pk=lead.pk).update(**update)
        count += 1
    return count


def _surveys(rng, pilot, east, director) -> int:
    from django.db.models import Q

    from salesflow.pipeline.models import Opportunity

    from . import services
    from .models import SatisfactionSurvey

    def customers(qs):
        ids = list(qs.values_list("customer_id", flat=True).distinct().order_by("customer_id"))
        return ids[:10]

    period = Opportunity.objects.filter(
        Q(closed_at__isnull=True) | Q(closed_at__date__gte=pilot.start_date),
        created_at__date__lte=pilot.end_date,
    )
    east_ids = customers(period.filter(owner__department__path__startswith=east.path))
    other_ids = customers(period.exclude(owner__department__path__startswith=east.path))
    made = 0
    for ids, scores in ((east_ids, (5, 5, 4, 5, 4, 4, 5, 3)), (other_ids, (4, 3, 4, 3, 5, 3, 4))):
        for customer_id in ids:
            survey = services.survey_record(
                actor=director,
                pilot_id=pilot.pk,
                customer_id=customer_id,
                score=rng.choice(scores),
                comment=rng.choice(["", "响应及时", "希望方案再详细一些", "沟通顺畅"]),
            )
            SatisfactionSurvey.objects.filter(pk=survey.pk).update(
                answered_at=_moment(rng, pilot.start_date, pilot.end_date)
            )
            made += 1
    return made


def _feedback(rng, pilot, east) -> int:
    from salesflow.core.scope import has_right
    from salesflow.org.models import User

    from . import services
    from .models import TeamFeedback

    members = User.objects.filter(department__path__startswith=east.path, is_active=True)
    members = [m for m in members.order_by("id")[:20] if has_right(m, "pilot", "view")][:8]
    made = 0
    for member in members:
        services.feedback_record(
            actor=member,
            pilot_id=pilot.pk,
            acceptance=rng.choice((5, 4, 4, 3, 5, 4)),
            suggestions=rng.choice(SUGGESTIONS),
        )
        made += 1
    TeamFeedback.objects.filter(pilot=pilot).update(
        answered_at=_moment(rng, pilot.end_date, pilot.end_date)
    )
    return made


demo.register_step("pilots", seed_pilots, order=960)
