import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from salesflow.core import approvals
from salesflow.core.errors import DomainError
from salesflow.customers.models import Customer
from salesflow.pipeline import selectors, services
from salesflow.pipeline.models import (
    LostReason,
    Opportunity,
    OpportunityStatus,
    ProcessTemplate,
    StageEvent,
    StageOutput,
)

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4 test"


@pytest.fixture
def people(make_user, make_department):
    sales = make_department("销售中心")
    director = make_user("sales_director", department=sales, username="director")
    manager = make_user("sales_manager", department=sales, manager=director, username="mgr")
    rep = make_user("sales_rep", department=sales, manager=manager, username="rep")
    other = make_user("sales_rep", department=sales, manager=director, username="other")
    return {"director": director, "manager": manager, "rep": rep, "other": other}


def customer_for(owner, grade="B"):
    return Customer.objects.create(
        name=f"客户{grade}{owner.pk}", name_key=f"k{grade}{owner.pk}", owner=owner, grade=grade
    )


def new_opp(rep, grade="B", now=None):
    customer = customer_for(rep, grade)
    return services.opportunity_create(
        actor=rep,
        customer_id=customer.pk,
        data={"name": "产线改造", "amount": Decimal("300000")},
        now=now,
    )


def fill_current_stage(opp, actor):
    opp.refresh_from_db()
    for output in opp.stage.outputs.all():
        if output.kind == StageOutput.Kind.FILE:
            services.output_submit(
                actor=actor,
                opportunity_id=opp.pk,
                output_id=output.pk,
                upload=SimpleUploadedFile("方案.pdf", PDF),
            )
        else:
            data = {
                f["name"]: (
                    "2025-09-30"
                    if f["type"] == "date"
                    else f["choices"][0]
                    if f["type"] == "choice"
                    else "100"
                    if f["type"] == "number"
                    else "内容"
                )
                for f in output.form_fields
            }
            services.output_submit(
                actor=actor, opportunity_id=opp.pk, output_id=output.pk, data=data
            )


def test_default_b2b_template_is_preloaded():
    template = ProcessTemplate.objects.get(name="标准B2B销售流程")
    stages = list(template.current_version().stages.order_by("order"))
    assert [s.name for s in stages] == [
        "线索获取",
        "线索筛选",
        "初步接洽",
        "需求分析",
        "方案呈现",
        "商务谈判",
    ]
    assert [s.time_limit_rule for s in stages][2:] == [
        "24h",
        "3 working days",
        "5 working days",
        "7 working days",
    ]
    outputs = {s.name: [o.name for o in s.outputs.all()] for s in stages}
    assert outputs["需求分析"] == ["需求分析报告"]
    assert outputs["方案呈现"] == ["解决方案书", "演示PPT"]
    assert outputs["商务谈判"] == ["合同审批单", "谈判纪要"]
    report = stages[3].outputs.get()
    assert [f["name"] for f in report.form_fields] == [
        "pain_points",
        "decision_chain",
        "budget",
        "timeline",
    ]


def test_create_starts_at_first_non_lead_stage_with_one_event(people):
    opp = new_opp(people["rep"])
    assert opp.stage.name == "初步接洽"
    assert opp.stage_due_at is not None
    events = list(opp.events.all())
    assert len(events) == 1 and events[0].kind == StageEvent.Kind.CREATE
    assert events[0].to_stage == opp.stage


def test_advance_without_outputs_fails_and_writes_nothing(people):
    opp = new_opp(people["rep"])
    with pytest.raises(services.GateNotMet) as exc:
        services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    assert [o.name for o in exc.value.missing] == ["初次沟通记录"]
    opp.refresh_from_db()
    assert opp.stage.name == "初步接洽" and opp.events.count() == 1


def test_advance_with_outputs_moves_one_stage(people):
    opp = new_opp(people["rep"])
    fill_current_stage(opp, people["rep"])
    event = services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    opp.refresh_from_db()
    assert opp.stage.name == "需求分析" and opp.probability == 40
    assert event.kind == StageEvent.Kind.ADVANCE and not event.skipped
    assert opp.events.count() == 2


def test_form_output_validates_fields(people):
    opp = new_opp(people["rep"])
    output = opp.stage.outputs.get()
    with pytest.raises(ValidationError) as exc:
        services.output_submit(
            actor=people["rep"],
            opportunity_id=opp.pk,
            output_id=output.pk,
            data={"contact_date": "明天", "method": "飞鸽"},
        )
    assert {"data.contact_date", "data.method", "data.feedback"} <= set(exc.value.message_dict)
    assert not opp.submissions.exists()


def test_file_output_checks_content_not_name(people):
    opp = new_opp(people["rep"])
    fill_current_stage(opp, people["rep"])
    services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    fill_current_stage(opp, people["rep"])
    services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    opp.refresh_from_db()
    proposal = opp.stage.outputs.get(code="proposal")
    with pytest.raises(ValidationError):
        services.output_submit(
            actor=people["rep"],
            opportunity_id=opp.pk,
            output_id=proposal.pk,
            upload=SimpleUploadedFile("方案.pdf", b"MZ\x90 not a pdf"),
        )


def test_skip_without_an_approved_request_fails(people):
    opp = new_opp(people["rep"], grade="A")
    services.opportunity_request_skip(
        actor=people["rep"], opportunity_id=opp.pk, reason="客户高层直接拍板，已当面沟通"
    )
    with pytest.raises(services.GateNotMet):  # pending is not approved
        services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)


def test_skip_needs_an_a_class_customer_and_a_reason(people):
    opp = new_opp(people["rep"], grade="B")
    with pytest.raises(DomainError):
        services.opportunity_request_skip(actor=people["rep"], opportunity_id=opp.pk, reason="x")
    a_opp = new_opp(people["rep"], grade="A")
    with pytest.raises(ValidationError):
        services.opportunity_request_skip(actor=people["rep"], opportunity_id=a_opp.pk, reason="  ")


def test_only_a_director_can_approve_a_skip_and_the_skip_is_recorded(people):
    opp = new_opp(people["rep"], grade="A")
    request = services.opportunity_request_skip(
        actor=people["rep"], opportunity_id=opp.pk, reason="客户高层直接拍板"
    )
    assert approvals.inbox(people["manager"]) == []
    with pytest.raises(PermissionDenied):
        approvals.approval_decide(actor=people["manager"], request_id=request.pk, approve=True)
    assert [r.pk for r in approvals.inbox(people["director"])] == [request.pk]
    approvals.approval_decide(
        actor=people["director"], request_id=request.pk, approve=True, comment="同意，注意补材料"
    )
    event = services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    assert event.skipped and event.kind == StageEvent.Kind.SKIP
    assert event.approval_id == request.pk
    opp.refresh_from_db()
    assert opp.stage.name == "需求分析"
    # The approval is used once: the next stage needs its outputs again.
    with pytest.raises(services.GateNotMet):
        services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)


def test_rejection_needs_a_comment(people):
    opp = new_opp(people["rep"], grade="A")
    request = services.opportunity_request_skip(
        actor=people["rep"], opportunity_id=opp.pk, reason="理由"
    )
    with pytest.raises(ValidationError):
        approvals.approval_decide(actor=people["director"], request_id=request.pk, approve=False)
    approvals.approval_decide(
        actor=people["director"], request_id=request.pk, approve=False, comment="需先提交需求分析"
    )
    with pytest.raises(services.GateNotMet):
        services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)


def test_durations_across_the_national_day_holiday(people):
    # Entered 2025-09-30 10:00; advanced 2025-10-09 10:00: 216 hours; working time is
    # Sep 30 10–18 (8h) + Oct 9 9–10 (1h) = 9 working hours = 1.00 working day.
    start = datetime.datetime(2025, 9, 30, 10, 0, tzinfo=SH)
    opp = new_opp(people["rep"], now=start)
    fill_current_stage(opp, people["rep"])
    event = services.opportunity_advance(
        actor=people["rep"],
        opportunity_id=opp.pk,
        now=datetime.datetime(2025, 10, 9, 10, 0, tzinfo=SH),
    )
    assert event.hours_in_previous == Decimal("216.00")
    assert event.working_days_in_previous == Decimal("1.00")
    opp.refresh_from_db()
    # 需求分析: 3 working days after entry on Oct 9 → Oct 10, Oct 11 (make-up Saturday), Oct 13.
    assert opp.stage_due_at == datetime.datetime(2025, 10, 13, 10, 0, tzinfo=SH)


def test_every_transition_writes_exactly_one_event(people):
    opp = new_opp(people["rep"])
    fill_current_stage(opp, people["rep"])
    services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    opp.refresh_from_db()
    first = opp.template_version.stages.get(code="initial_contact")
    services.opportunity_move_back(
        actor=people["rep"], opportunity_id=opp.pk, to_stage_id=first.pk, note="客户换了对接人"
    )
    reason = LostReason.objects.first()
    services.opportunity_lose(
        actor=people["rep"], opportunity_id=opp.pk, lost_reason_id=reason.pk, competitor="某竞品"
    )
    services.opportunity_reopen(
        actor=people["director"], opportunity_id=opp.pk, reason="客户重新启动项目"
    )
    services.opportunity_win(actor=people["rep"], opportunity_id=opp.pk, amount="280000")
    kinds = list(opp.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds == ["create", "advance", "back", "lost", "reopen", "won"]
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.WON and opp.amount == Decimal("280000.00")
    assert opp.customer.first_deal_at is not None


def test_lost_requires_a_reason_and_won_an_amount(people):
    opp = new_opp(people["rep"])
    with pytest.raises(ValidationError):
        services.opportunity_lose(actor=people["rep"], opportunity_id=opp.pk, lost_reason_id=None)
    Opportunity.objects.filter(pk=opp.pk).update(amount=0)
    with pytest.raises(ValidationError):
        services.opportunity_win(actor=people["rep"], opportunity_id=opp.pk)
    assert opp.events.count() == 1


def test_reopen_needs_a_director(people):
    opp = new_opp(people["rep"])
    services.opportunity_win(actor=people["rep"], opportunity_id=opp.pk)
    with pytest.raises(PermissionDenied):
        services.opportunity_reopen(actor=people["manager"], opportunity_id=opp.pk, reason="x")


def test_out_of_scope_opportunity_is_not_found(people):
    from django.http import Http404

    opp = new_opp(people["other"])
    with pytest.raises(Http404):
        services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    with pytest.raises(Http404):
        selectors.opportunity_get(user=people["rep"], pk=opp.pk)


def test_template_edit_creates_a_version_and_running_opportunities_keep_theirs(make_user, people):
    admin = make_user("admin")
    opp = new_opp(people["rep"])
    template = ProcessTemplate.objects.get(name="标准B2B销售流程")
    version = services.template_new_version(
        actor=admin, template_id=template.pk, change_note="需求分析改为2个工作日"
    )
    assert version.number == 2 and version.stages.count() == 6
    opp.refresh_from_db()
    assert opp.template_version.number == 1
    newer = new_opp(people["rep"])
    assert newer.template_version == version


def test_board_queries_do_not_grow_with_cards(people, django_assert_max_num_queries):
    for _ in range(3):
        new_opp(people["rep"])
    version = ProcessTemplate.objects.get(name="标准B2B销售流程").current_version()
    with django_assert_max_num_queries(12) as few:
        selectors.board(user=people["rep"], version=version)
    for _ in range(30):
        new_opp(people["rep"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        columns = selectors.board(user=people["rep"], version=version)
    assert sum(c.count for c in columns) == 33


def test_board_column_keyset_pages(people):
    rep = people["rep"]
    customer = customer_for(rep)
    for amount in (500, 400, 400, 300, 200):
        services.opportunity_create(
            actor=rep,
            customer_id=customer.pk,
            data={"name": f"商机{amount}", "amount": Decimal(amount)},
        )
    version = ProcessTemplate.objects.get(name="标准B2B销售流程").current_version()
    stage = version.stages.get(code="initial_contact")
    first, cursor = selectors.board_column(user=rep, version=version, stage_id=stage.pk, limit=2)
    second, cursor2 = selectors.board_column(
        user=rep, version=version, stage_id=stage.pk, after=cursor, limit=2
    )
    third, cursor3 = selectors.board_column(
        user=rep, version=version, stage_id=stage.pk, after=cursor2, limit=2
    )
    amounts = [int(o.amount) for o in first + second + third]
    assert amounts == [500, 400, 400, 300, 200] and cursor3 is None


def test_skip_report_by_stage_person_outcome(people):
    opp = new_opp(people["rep"], grade="A")
    request = services.opportunity_request_skip(
        actor=people["rep"], opportunity_id=opp.pk, reason="高层拍板"
    )
    approvals.approval_decide(actor=people["director"], request_id=request.pk, approve=True)
    services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    services.opportunity_win(actor=people["rep"], opportunity_id=opp.pk)
    report = selectors.skip_report(user=people["director"])
    assert report["total"] == 1
    assert report["by_stage"] == [{"from_stage__name": "初步接洽", "n": 1}]
    assert report["by_outcome"] == [{"opportunity__status": "won", "n": 1}]


def test_lead_conversion_creates_customer_contact_and_opportunity(people):
    from django.utils import timezone

    from salesflow.leads.models import Lead, LeadSource, LeadStatus

    rep = people["rep"]
    lead = Lead.objects.create(
        company_name="苏州恒达精密机械有限公司",
        name_key="苏州恒达精密机械",
        contact_name="王强",
        phone="13800138000",
        needs="设备故障率高，每月停机20小时",
        owner=rep,
        source=LeadSource.objects.get(name="展会"),
        acquired_at=timezone.now(),
        score=85,
        grade="A",
        created_by=rep,
    )
    customer, opp = services.lead_convert_with_opportunity(
        actor=rep,
        lead_id=lead.pk,
        opportunity={"name": "产线改造", "amount": 200000},
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED and lead.converted_customer == customer
    assert customer.contacts.get().name == "王强"
    assert opp.source_lead == lead and opp.customer == customer
    assert opp.stage.name == "初步接洽"
    carried = {s.output.name: s.data for s in opp.submissions.select_related("output")}
    assert carried["线索信息登记表"]["company"] == "苏州恒达精密机械有限公司"
    assert carried["线索评分表"]["grade"] == "A"


def test_failed_opportunity_rolls_the_conversion_back(people):
    from django.utils import timezone

    from salesflow.leads.models import Lead, LeadSource, LeadStatus

    rep = people["rep"]
    lead = Lead.objects.create(
        company_name="无锡新材料有限公司",
        name_key="无锡新材料",
        contact_name="李娜",
        phone="13900139000",
        needs="需要降低能耗成本",
        owner=rep,
        source=LeadSource.objects.get(name="官网"),
        acquired_at=timezone.now(),
        created_by=rep,
    )
    with pytest.raises(ValidationError):
        services.lead_convert_with_opportunity(
            actor=rep,
            lead_id=lead.pk,
            opportunity={"name": "", "amount": -1},
        )
    lead.refresh_from_db()
    assert lead.status != LeadStatus.CONVERTED
    assert not Customer.objects.filter(name="无锡新材料有限公司").exists()


def test_malformed_filter_ids_match_nothing(people):
    new_opp(people["rep"])
    assert list(selectors.opportunity_list(user=people["rep"], filters={"owner_id": "x1"})) == []


def test_no_outputs_on_a_closed_opportunity(people):
    opp = new_opp(people["rep"])
    services.opportunity_win(actor=people["rep"], opportunity_id=opp.pk)
    output = opp.stage.outputs.first()
    with pytest.raises(DomainError):
        services.output_submit(
            actor=people["rep"], opportunity_id=opp.pk, output_id=output.pk, data={}
        )
