"""Pipeline pages: status codes, rendered content, what each action changes (or not), scope
(404 everywhere out of scope, board fragments included) and bounded query counts."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from salesflow.core.models import ApprovalRequest, AuditEntry
from salesflow.customers.models import Contact, Customer
from salesflow.pipeline import services
from salesflow.pipeline.forms import sign_opened_at
from salesflow.pipeline.models import (
    LostReason,
    Opportunity,
    OpportunityStatus,
    OutputSubmission,
    ProcessTemplate,
    StageEvent,
    StageOutput,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4 test document"


@pytest.fixture
def people(make_user, make_department):
    """A director over a manager with one rep; another rep outside the manager's team."""
    sales = make_department("销售中心")
    director = make_user("sales_director", department=sales, display_name="周总监")
    manager = make_user("sales_manager", department=sales, manager=director, display_name="王经理")
    rep = make_user("sales_rep", department=sales, manager=manager, display_name="李销售")
    other = make_user("sales_rep", department=sales, manager=director, display_name="孙外部")
    return {"director": director, "manager": manager, "rep": rep, "other": other}


_seq = iter(range(1, 10_000))


def customer_for(owner, grade="B", name=None):
    n = next(_seq)
    return Customer.objects.create(
        name=name or f"客户{n}", name_key=f"key{n}", owner=owner, grade=grade
    )


def new_opp(owner, *, grade="B", name="产线改造", amount="300000", customer=None):
    customer = customer or customer_for(owner, grade)
    return services.opportunity_create(
        actor=owner,
        customer_id=customer.pk,
        data={"name": name, "amount": Decimal(amount)},
    )


def form_values(output):
    values = {}
    for spec in output.form_fields:
        kind = spec["type"]
        values[spec["name"]] = (
            "2025-09-30"
            if kind == "date"
            else spec["choices"][0]
            if kind == "choice"
            else "100"
            if kind == "number"
            else "内容"
        )
    return values


def post_output(client, opp, output, values=None, **extra):
    prefix = f"out{output.pk}"
    data = {f"{prefix}-{k}": v for k, v in (values or form_values(output)).items()}
    data.update({f"{prefix}-{k}": v for k, v in extra.items()})
    return client.post(reverse("pipeline:output", args=[opp.pk, output.pk]), data)


def fill_current_stage(opp, actor):
    opp.refresh_from_db()
    for output in opp.stage.outputs.all():
        if output.kind == StageOutput.Kind.FILE:
            upload = SimpleUploadedFile("方案.pdf", PDF)
            services.output_submit(
                actor=actor, opportunity_id=opp.pk, output_id=output.pk, upload=upload
            )
        else:
            services.output_submit(
                actor=actor, opportunity_id=opp.pk, output_id=output.pk, data=form_values(output)
            )


def board_version():
    return ProcessTemplate.objects.get(name="标准B2B销售流程").current_version()


def stage(code):
    return board_version().stages.get(code=code)


def column_url(code, **params):
    query = {"version": board_version().pk, "stage": stage(code).pk, **params}
    return reverse("pipeline:board_column") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


# --- the stage gate in the views ------------------------------------------------------------


def test_detail_shows_the_checklist_and_a_disabled_advance(client, people):
    opp = new_opp(people["rep"])
    client.force_login(people["rep"])
    response = client.get(reverse("pipeline:detail", args=[opp.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "初次沟通记录" in html and "缺少" in html
    assert 'aria-describedby="sf-advance-why" disabled' in html or (
        "disabled" in html and "sf-advance-why" in html
    )
    assert 'enctype="multipart/form-data"' not in html  # a form output, not a file
    assert "沟通日期" in html and "客户反馈（原话）" in html  # the structured form fields


def test_advance_without_outputs_shows_what_is_missing_and_changes_nothing(client, people):
    opp = new_opp(people["rep"])
    client.force_login(people["rep"])
    response = client.post(reverse("pipeline:advance", args=[opp.pk]), follow=True)
    assert response.status_code == 200
    assert "初次沟通记录" in response.content.decode()
    assert "未推进" in response.content.decode()
    opp.refresh_from_db()
    assert opp.stage.code == "initial_contact" and opp.events.count() == 1


def test_board_move_is_refused_by_the_gate_and_the_card_stays(client, people):
    opp = new_opp(people["rep"])
    client.force_login(people["rep"])
    response = client.post(
        reverse("pipeline:move", args=[opp.pk]), {"to_stage": stage("needs_analysis").pk}
    )
    assert response.status_code == 409
    data = response.json()
    assert data["ok"] is False and data["missing"] == ["初次沟通记录"]
    assert data["detail_url"] == reverse("pipeline:detail", args=[opp.pk])
    opp.refresh_from_db()
    assert opp.stage.code == "initial_contact" and opp.events.count() == 1


def test_submit_outputs_then_advance_works_from_the_detail_page(client, people):
    opp = new_opp(people["rep"])
    client.force_login(people["rep"])
    output = opp.stage.outputs.get()
    opened = sign_opened_at(timezone.now() - datetime.timedelta(minutes=12))
    response = post_output(client, opp, output, opened_at=opened)
    assert response.status_code == 302
    submission = OutputSubmission.objects.get(opportunity=opp, output=output)
    assert submission.data["method"] == "电话"
    assert submission.opened_at is not None and submission.submitted_by == people["rep"]
    page = client.get(reverse("pipeline:detail", args=[opp.pk])).content.decode()
    assert "bi-check-circle-fill" in page and "sf-advance-why" not in page
    response = client.post(reverse("pipeline:advance", args=[opp.pk]), follow=True)
    assert "已推进到“需求分析”" in response.content.decode()
    opp.refresh_from_db()
    assert opp.stage.code == "needs_analysis"
    assert opp.events.order_by("-id").first().kind == StageEvent.Kind.ADVANCE


def test_opened_at_from_the_future_or_too_old_is_not_recorded(client, people):
    opp = new_opp(people["rep"])
    client.force_login(people["rep"])
    output = opp.stage.outputs.get()
    future = sign_opened_at(timezone.now() + datetime.timedelta(hours=3))
    post_output(client, opp, output, opened_at=future)
    assert OutputSubmission.objects.get(opportunity=opp).opened_at is None


def test_an_unsigned_or_edited_opened_at_is_not_recorded(client, people):
    opp = new_opp(people["rep"])
    client.force_login(people["rep"])
    output = opp.stage.outputs.get()
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    forged = sign_opened_at(hour_ago).replace(
        hour_ago.isoformat(timespec="seconds"),
        (hour_ago + datetime.timedelta(minutes=55)).isoformat(timespec="seconds"),
    )
    post_output(client, opp, output, opened_at=forged)
    assert OutputSubmission.objects.get(opportunity=opp).opened_at is None
    OutputSubmission.objects.all().delete()
    post_output(client, opp, output, opened_at=hour_ago.isoformat())
    assert OutputSubmission.objects.get(opportunity=opp).opened_at is None


def test_output_with_bad_values_rerenders_with_errors_and_saves_nothing(client, people):
    opp = new_opp(people["rep"])
    client.force_login(people["rep"])
    output = opp.stage.outputs.get()
    values = form_values(output) | {"contact_date": "明天", "feedback": ""}
    response = post_output(client, opp, output, values)
    assert response.status_code == 400
    html = response.content.decode()
    assert "is-invalid" in html and "明天" in html  # input kept, errors shown
    assert not OutputSubmission.objects.filter(opportunity=opp).exists()


def test_board_move_to_the_next_stage_advances_and_returns_the_card(client, people):
    opp = new_opp(people["rep"])
    fill_current_stage(opp, people["rep"])
    client.force_login(people["rep"])
    response = client.post(
        reverse("pipeline:move", args=[opp.pk]), {"to_stage": stage("needs_analysis").pk}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] and "产线改造" in data["card"]
    needs = str(stage("needs_analysis").pk)
    assert data["columns"][needs]["count"] == 1 and data["columns"][needs]["total"] == "30"
    opp.refresh_from_db()
    assert opp.stage.code == "needs_analysis"


@pytest.mark.parametrize("target", ["negotiation", "initial_contact"])
def test_board_move_only_to_the_next_stage(client, people, target):
    opp = new_opp(people["rep"])
    fill_current_stage(opp, people["rep"])
    services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    client.force_login(people["rep"])
    response = client.post(reverse("pipeline:move", args=[opp.pk]), {"to_stage": stage(target).pk})
    assert response.status_code == 400
    if target == "initial_contact":
        assert "详情页" in response.json()["message"]
    opp.refresh_from_db()
    assert opp.stage.code == "needs_analysis"


def test_file_output_upload_and_scoped_download(client, people):
    opp = new_opp(people["rep"])
    for _ in range(2):
        fill_current_stage(opp, people["rep"])
        services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    opp.refresh_from_db()
    proposal = opp.stage.outputs.get(code="proposal")
    client.force_login(people["rep"])
    page = client.get(reverse("pipeline:detail", args=[opp.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page
    response = client.post(
        reverse("pipeline:output", args=[opp.pk, proposal.pk]),
        {f"out{proposal.pk}-file": SimpleUploadedFile("方案 v1.pdf", PDF)},
    )
    assert response.status_code == 302
    submission = OutputSubmission.objects.get(opportunity=opp, output=proposal)
    url = reverse("pipeline:submission_file", args=[submission.pk])
    download = client.get(url)
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == PDF
    client.force_login(people["other"])
    assert client.get(url).status_code == 404


def test_upload_that_is_not_a_document_is_refused(client, people):
    opp = new_opp(people["rep"])
    for _ in range(2):
        fill_current_stage(opp, people["rep"])
        services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    opp.refresh_from_db()
    proposal = opp.stage.outputs.get(code="proposal")
    client.force_login(people["rep"])
    response = client.post(
        reverse("pipeline:output", args=[opp.pk, proposal.pk]),
        {f"out{proposal.pk}-file": SimpleUploadedFile("方案.pdf", b"MZ\x90\x00 exe")},
    )
    assert response.status_code == 400
    assert "只能上传" in response.content.decode()
    assert not OutputSubmission.objects.filter(output=proposal).exists()


# --- skips by approval ----------------------------------------------------------------------


def test_skip_request_approval_and_skipped_advance(client, people):
    opp = new_opp(people["rep"], grade="A")
    client.force_login(people["rep"])
    detail = reverse("pipeline:detail", args=[opp.pk])
    assert "申请跳过本阶段" in client.get(detail).content.decode()

    response = client.post(reverse("pipeline:skip", args=[opp.pk]), {"reason": " "})
    assert response.status_code == 400
    assert not ApprovalRequest.objects.exists()
    client.post(reverse("pipeline:skip", args=[opp.pk]), {"reason": "客户高层直接拍板"})
    request = ApprovalRequest.objects.get()
    assert request.status == ApprovalRequest.Status.PENDING
    assert "跳过申请待审批" in client.get(detail).content.decode()

    # A pending request does not open the gate.
    client.post(reverse("pipeline:advance", args=[opp.pk]))
    opp.refresh_from_db()
    assert opp.stage.code == "initial_contact"

    # Only the director sees and decides it.
    client.force_login(people["manager"])
    assert "客户高层直接拍板" not in client.get(reverse("approvals:inbox")).content.decode()
    decide = reverse("approvals:decide", args=[request.pk])
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    client.force_login(people["director"])
    assert "客户高层直接拍板" in client.get(reverse("approvals:inbox")).content.decode()
    response = client.post(decide, {"decision": "approve", "comment": "同意，补齐材料"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.APPROVED

    client.force_login(people["rep"])
    page = client.get(detail).content.decode()
    assert "跳过已批准" in page
    client.post(reverse("pipeline:advance", args=[opp.pk]))
    opp.refresh_from_db()
    assert opp.stage.code == "needs_analysis"
    event = opp.events.order_by("-id").first()
    assert event.skipped and event.kind == StageEvent.Kind.SKIP and event.approval == request
    page = client.get(detail).content.decode()
    assert "跳过标准流程" in page and "客户高层直接拍板" in page and "同意，补齐材料" in page


def test_skip_is_offered_only_for_a_class_customers(client, people):
    opp = new_opp(people["rep"], grade="B")
    client.force_login(people["rep"])
    assert (
        "申请跳过本阶段"
        not in client.get(reverse("pipeline:detail", args=[opp.pk])).content.decode()
    )
    client.post(reverse("pipeline:skip", args=[opp.pk]), {"reason": "想跳过"}, follow=True)
    assert not ApprovalRequest.objects.exists()


def test_board_shows_the_approved_skip_badge(client, people):
    opp = new_opp(people["rep"], grade="A")
    request = services.opportunity_request_skip(
        actor=people["rep"], opportunity_id=opp.pk, reason="高层拍板"
    )
    from salesflow.core.approvals import approval_decide

    approval_decide(actor=people["director"], request_id=request.pk, approve=True)
    client.force_login(people["rep"])
    html = client.get(column_url("initial_contact")).content.decode()
    assert "跳过已批准" in html


# --- won, lost, reopen, back ------------------------------------------------------------------


def test_won_without_an_amount_is_refused(client, people):
    opp = new_opp(people["rep"], amount="0")
    client.force_login(people["rep"])
    response = client.post(reverse("pipeline:win", args=[opp.pk]), {"amount": ""})
    assert response.status_code == 400
    assert "赢单须填写成交金额" in response.content.decode()
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.OPEN
    client.post(reverse("pipeline:win", args=[opp.pk]), {"amount": "120000"})
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.WON and opp.amount == Decimal("120000")


def test_lost_without_a_reason_is_refused(client, people):
    opp = new_opp(people["rep"])
    client.force_login(people["rep"])
    response = client.post(reverse("pipeline:lose", args=[opp.pk]), {"competitor": "某竞品"})
    assert response.status_code == 400
    assert "请选择输单原因" in response.content.decode()
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.OPEN
    reason = LostReason.objects.get(name="竞品胜出")
    client.post(
        reverse("pipeline:lose", args=[opp.pk]), {"lost_reason": reason.pk, "competitor": "某竞品"}
    )
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.LOST and opp.won_by_competitor == "某竞品"


def test_reopen_needs_a_director_and_a_reason(client, people):
    opp = new_opp(people["rep"])
    services.opportunity_win(actor=people["rep"], opportunity_id=opp.pk)
    url = reverse("pipeline:reopen", args=[opp.pk])
    client.force_login(people["manager"])
    assert "重新打开" not in client.get(reverse("pipeline:detail", args=[opp.pk])).content.decode()
    response = client.post(url, {"reason": "客户追加"}, follow=True)
    assert "只有销售总监" in response.content.decode()
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.WON
    client.force_login(people["director"])
    assert client.post(url, {"reason": ""}).status_code == 400
    client.post(url, {"reason": "客户重新启动项目"})
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.OPEN
    assert opp.events.order_by("-id").first().kind == StageEvent.Kind.REOPEN


def test_move_back_needs_a_reason(client, people):
    opp = new_opp(people["rep"])
    fill_current_stage(opp, people["rep"])
    services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    client.force_login(people["rep"])
    url = reverse("pipeline:back", args=[opp.pk])
    target = stage("initial_contact").pk
    assert client.post(url, {"to_stage": target, "note": ""}).status_code == 400
    client.post(url, {"to_stage": target, "note": "客户换了对接人"})
    opp.refresh_from_db()
    assert opp.stage.code == "initial_contact"


def test_assign_and_delete_by_a_manager(client, people):
    opp = new_opp(people["rep"])
    client.force_login(people["manager"])
    page = client.get(reverse("pipeline:detail", args=[opp.pk])).content.decode()
    assert "panel-assign" in page
    client.post(
        reverse("pipeline:assign", args=[opp.pk]),
        {"owner": people["manager"].pk, "reason": "接手大客户"},
    )
    opp.refresh_from_db()
    assert opp.owner == people["manager"]
    response = client.post(reverse("pipeline:delete", args=[opp.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("pipeline:list")
    assert not Opportunity.objects.filter(pk=opp.pk).exists()
    assert Opportunity.all_objects.get(pk=opp.pk).deleted_at is not None


def test_rep_cannot_delete_or_assign(client, people):
    opp = new_opp(people["rep"])
    client.force_login(people["rep"])
    page = client.get(reverse("pipeline:detail", args=[opp.pk])).content.decode()
    assert "panel-assign" not in page and reverse("pipeline:delete", args=[opp.pk]) not in page
    assert client.post(reverse("pipeline:delete", args=[opp.pk])).status_code == 404
    assert Opportunity.objects.filter(pk=opp.pk).exists()


# --- scope ------------------------------------------------------------------------------------

OBJECT_PAGES = [
    ("get", "pipeline:detail", {}),
    ("get", "pipeline:edit", {}),
    ("post", "pipeline:edit", {"name": "x", "amount": "1", "probability": "10"}),
    ("post", "pipeline:move", {"to_stage": "0"}),
    ("post", "pipeline:advance", {}),
    ("post", "pipeline:back", {"to_stage": "0", "note": "x"}),
    ("post", "pipeline:skip", {"reason": "x"}),
    ("post", "pipeline:win", {"amount": "1"}),
    ("post", "pipeline:lose", {"lost_reason": "1"}),
    ("post", "pipeline:reopen", {"reason": "x"}),
    ("post", "pipeline:assign", {"owner": "1", "reason": "x"}),
    ("post", "pipeline:delete", {}),
]


@pytest.mark.parametrize(("method", "name", "data"), OBJECT_PAGES)
def test_out_of_scope_opportunity_is_404(client, people, method, name, data):
    foreign = new_opp(people["other"], grade="A")
    client.force_login(people["rep"])
    response = getattr(client, method)(reverse(name, args=[foreign.pk]), data)
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == OpportunityStatus.OPEN and foreign.events.count() == 1


def test_out_of_scope_output_submit_and_file_are_404(client, people):
    foreign = new_opp(people["other"])
    output = foreign.stage.outputs.get()
    client.force_login(people["rep"])
    assert post_output(client, foreign, output).status_code == 404
    fill_current_stage(foreign, people["other"])
    submission = OutputSubmission.objects.get(opportunity=foreign)
    url = reverse("pipeline:submission_file", args=[submission.pk])
    assert client.get(url).status_code == 404


def test_out_of_scope_never_on_the_board_the_list_or_the_export(client, people):
    new_opp(people["rep"], name="我的商机")
    new_opp(people["other"], name="别人的商机")
    client.force_login(people["rep"])
    board = client.get(reverse("pipeline:board")).content.decode()
    column = client.get(column_url("initial_contact")).content.decode()
    listing = client.get(reverse("pipeline:list")).content.decode()
    assert "我的商机" in column and "别人的商机" not in column
    assert "我的商机" in listing and "别人的商机" not in listing
    assert f'data-col-count="{stage("initial_contact").pk}">1<' in board
    client.force_login(people["manager"])  # sees the rep, not the director's other rep
    response = client.get(reverse("pipeline:export") + "?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = [row[0] for row in rows[1:]]
    assert names == ["我的商机"]


def test_column_of_another_version_or_a_lead_stage_is_404(client, people, make_user):
    admin = make_user("admin")
    old = board_version()
    services.template_new_version(actor=admin, template_id=old.template_id, change_note="新版")
    new_stage = (
        ProcessTemplate.objects.get(pk=old.template_id)
        .current_version()
        .stages.get(code="initial_contact")
    )
    client.force_login(people["rep"])
    url = reverse("pipeline:board_column")
    assert client.get(f"{url}?version={old.pk}&stage={new_stage.pk}").status_code == 404
    lead_stage = old.stages.get(code="screening")
    assert client.get(f"{url}?version={old.pk}&stage={lead_stage.pk}").status_code == 404
    assert client.get(f"{url}?version=abc&stage=1").status_code == 404


def test_old_version_with_open_opportunities_stays_on_the_board(client, people, make_user):
    opp = new_opp(people["rep"], name="旧版本上的商机")
    services.template_new_version(
        actor=make_user("admin"), template_id=opp.template_version.template_id, change_note="v2"
    )
    client.force_login(people["rep"])
    html = client.get(reverse("pipeline:board")).content.decode()
    assert "旧版本" in html
    response = client.get(reverse("pipeline:board") + f"?version={opp.template_version_id}")
    assert response.status_code == 200


def test_product_expert_sees_only_collaborations(client, people, make_user):
    from django.contrib.contenttypes.models import ContentType

    from salesflow.core.models import Collaborator

    expert = make_user("product_expert")
    shared = new_opp(people["rep"], name="协作商机")
    new_opp(people["rep"], name="未协作商机")
    Collaborator.objects.create(
        content_type=ContentType.objects.get_for_model(Opportunity),
        object_id=shared.pk,
        user=expert,
    )
    client.force_login(expert)
    column = client.get(column_url("initial_contact")).content.decode()
    assert "协作商机" in column and "未协作商机" not in column
    assert "推进到下一阶段" not in column  # no change right: no move button
    assert client.get(reverse("pipeline:detail", args=[shared.pk])).status_code == 200


# --- board, list, export ----------------------------------------------------------------------


def test_board_columns_have_counts_totals_and_lazy_bodies(client, people):
    new_opp(people["rep"], amount="300000")
    new_opp(people["rep"], amount="150000")
    client.force_login(people["rep"])
    response = client.get(reverse("pipeline:board"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "线索筛选" not in html  # stages done in the leads module are not columns
    for name in ("初步接洽", "需求分析", "方案呈现", "商务谈判"):
        assert name in html
    first = stage("initial_contact").pk
    assert f'data-col-count="{first}">2<' in html and f'data-col-total="{first}">45<' in html
    assert 'hx-trigger="load"' in html and "Sortable.min.js" in html and "board.js" in html


def test_board_filters_reach_the_columns(client, people):
    new_opp(people["rep"], name="大单", amount="900000")
    new_opp(people["rep"], name="小单", amount="1000")
    client.force_login(people["rep"])
    html = client.get(reverse("pipeline:board") + "?min_amount=5000").content.decode()
    assert "min_amount=5000" in html
    column = client.get(column_url("initial_contact", min_amount=5000)).content.decode()
    assert "大单" in column and "小单" not in column


def test_overdue_cards_are_marked_on_board_and_list(client, people):
    late = new_opp(people["rep"], name="超时商机")
    new_opp(people["rep"], name="按时商机")
    Opportunity.objects.filter(pk=late.pk).update(
        stage_due_at=timezone.now() - datetime.timedelta(hours=2)
    )
    client.force_login(people["rep"])
    column = client.get(column_url("initial_contact")).content.decode()
    assert column.count("阶段超时") == 1
    board = client.get(reverse("pipeline:board")).content.decode()
    assert f'data-col-overdue-count="{stage("initial_contact").pk}">1<' in board
    listing = client.get(reverse("pipeline:list") + "?overdue=1").content.decode()
    assert "超时商机" in listing and "按时商机" not in listing
    home = client.get(reverse("home")).content.decode()
    assert "阶段超时商机" in home


def test_column_pages_by_50_with_a_revealed_more_row(client, people):
    customer = customer_for(people["rep"])
    for i in range(52):
        new_opp(people["rep"], name=f"商机{i:02d}", amount=str(1000 + i), customer=customer)
    client.force_login(people["rep"])
    first = client.get(column_url("initial_contact")).content.decode()
    assert first.count('class="card mb-2') == 50
    assert 'hx-trigger="revealed, click"' in first
    more = first.split('hx-get="', 2)[1].split('"', 1)[0].replace("&amp;", "&")
    second = client.get(more).content.decode()
    assert second.count('class="card mb-2') == 2 and "加载更多" not in second


def test_list_filters_status_and_search(client, people):
    won = new_opp(people["rep"], name="已赢商机")
    services.opportunity_win(actor=people["rep"], opportunity_id=won.pk)
    new_opp(people["rep"], name="进行商机")
    client.force_login(people["rep"])
    html = client.get(reverse("pipeline:list") + "?status=won").content.decode()
    assert "已赢商机" in html and "进行商机" not in html
    html = client.get(reverse("pipeline:list") + "?q=进行").content.decode()
    assert "进行商机" in html and "已赢商机" not in html
    # Bad filter values are ignored, never an error page.
    assert (
        client.get(reverse("pipeline:list") + "?owner_id=x&close_month=2025-13").status_code == 200
    )


def test_export_neutralises_formulas_and_is_audited(client, people):
    new_opp(people["rep"], name="=HYPERLINK(1)")
    client.force_login(people["manager"])
    response = client.get(reverse("pipeline:export"))
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].value == "'=HYPERLINK(1)"
    assert AuditEntry.objects.filter(action="opportunity.export", actor=people["manager"]).exists()


def test_export_is_404_without_the_export_right(client, people):
    client.force_login(people["rep"])
    assert client.get(reverse("pipeline:export")).status_code == 404


# --- create and edit --------------------------------------------------------------------------


def test_create_from_a_customer_with_contacts_and_product_lines(client, people):
    customer = customer_for(people["rep"], name="上海明远机械")
    contact = Contact.objects.create(customer=customer, name="张工")
    client.force_login(people["rep"])
    page = client.get(reverse("pipeline:create") + f"?customer={customer.pk}").content.decode()
    assert "张工" in page and 'name="owner"' not in page  # a rep cannot choose the owner
    from salesflow.pipeline.models import ProductLine

    line = ProductLine.objects.first()
    response = client.post(
        reverse("pipeline:create"),
        {
            "customer": customer.pk,
            "template": ProcessTemplate.objects.get(name="标准B2B销售流程").pk,
            "name": "二期改造",
            "amount": "250000",
            "expected_close_date": "2026-03-31",
            "contacts": [contact.pk],
            "product_lines": [line.pk],
        },
    )
    opp = Opportunity.objects.get(name="二期改造")
    assert response.status_code == 302 and response["Location"].endswith(f"/pipeline/{opp.pk}/")
    assert list(opp.contacts.all()) == [contact] and list(opp.product_lines.all()) == [line]
    assert opp.owner == people["rep"] and opp.stage.code == "initial_contact"


def test_create_with_bad_input_changes_nothing(client, people):
    foreign_customer = customer_for(people["other"])
    client.force_login(people["rep"])
    response = client.post(
        reverse("pipeline:create"),
        {"customer": foreign_customer.pk, "name": "", "amount": "-5"},
    )
    assert response.status_code == 400
    assert not Opportunity.objects.exists()


def test_manager_may_choose_the_owner(client, people):
    customer = customer_for(people["rep"])
    client.force_login(people["manager"])
    page = client.get(reverse("pipeline:create")).content.decode()
    assert 'name="owner"' in page and "孙外部" not in page.split('name="owner"')[1]
    client.post(
        reverse("pipeline:create"),
        {
            "customer": customer.pk,
            "template": ProcessTemplate.objects.get(name="标准B2B销售流程").pk,
            "name": "经理建的商机",
            "amount": "1000",
            "owner": people["rep"].pk,
        },
    )
    assert Opportunity.objects.get(name="经理建的商机").owner == people["rep"]


def test_edit_opportunity(client, people):
    opp = new_opp(people["rep"])
    client.force_login(people["rep"])
    url = reverse("pipeline:edit", args=[opp.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"name": "产线改造二期", "amount": "320000", "probability": "35", "competitors": "甲"}
    )
    assert response.status_code == 302
    opp.refresh_from_db()
    assert (opp.name, opp.amount, opp.probability) == ("产线改造二期", Decimal("320000"), 35)
    assert client.post(url, {"name": "", "amount": "x", "probability": "300"}).status_code == 400


# --- skip report ------------------------------------------------------------------------------


def test_skip_report_for_directors_only(client, people):
    from salesflow.core.approvals import approval_decide

    opp = new_opp(people["rep"], grade="A", name="跳过的商机")
    request = services.opportunity_request_skip(
        actor=people["rep"], opportunity_id=opp.pk, reason="高层拍板"
    )
    approval_decide(actor=people["director"], request_id=request.pk, approve=True, comment="可")
    services.opportunity_advance(actor=people["rep"], opportunity_id=opp.pk)
    client.force_login(people["manager"])
    assert client.get(reverse("pipeline:skip_report")).status_code == 404
    client.force_login(people["director"])
    response = client.get(reverse("pipeline:skip_report"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "初步接洽" in html and "李销售" in html and "进行中" in html and "跳过的商机" in html
    today = timezone.localdate()
    later = today + datetime.timedelta(days=5)
    empty = client.get(reverse("pipeline:skip_report") + f"?from={later}&to={later}")
    assert "跳过的商机" not in empty.content.decode()


# --- query counts -----------------------------------------------------------------------------


def _count(client, url, django_assert_max_num_queries, bound):
    with django_assert_max_num_queries(bound) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "page", ["board", "column", "list", "detail"], ids=["board", "column", "list", "detail"]
)
def test_pages_issue_a_bounded_number_of_queries(
    client, people, django_assert_max_num_queries, page
):
    rep = people["rep"]
    customer = customer_for(rep, grade="A")
    first = new_opp(rep, customer=customer)
    fill_current_stage(first, rep)
    services.opportunity_request_skip(actor=rep, opportunity_id=first.pk, reason="理由")

    def url():
        return {
            "board": reverse("pipeline:board"),
            "column": column_url("initial_contact"),
            "list": reverse("pipeline:list"),
            "detail": reverse("pipeline:detail", args=[first.pk]),
        }[page]

    client.force_login(rep)
    one = _count(client, url(), django_assert_max_num_queries, 40)
    for i in range(29):
        opp = new_opp(rep, customer=customer, name=f"商机{i}")
        fill_current_stage(opp, rep)
        # The detail page's own timeline grows too: more submissions and events.
        services.output_submit(
            actor=rep,
            opportunity_id=first.pk,
            output_id=first.stage.outputs.get().pk,
            data=form_values(first.stage.outputs.get()),
        )
    _count(client, url(), django_assert_max_num_queries, one)


def test_move_returns_json_for_the_board_script(client, people):
    opp = new_opp(people["rep"])
    client.force_login(people["rep"])
    response = client.post(reverse("pipeline:move", args=[opp.pk]), {"to_stage": "abc"})
    assert response.status_code == 400
    assert json.loads(response.content)["ok"] is False


# --- administration ---------------------------------------------------------------------------


def test_admin_stage_of_a_used_version_is_read_only(client, people, make_user):
    admin_user = make_user("admin")
    opp = new_opp(people["rep"])
    used = opp.stage
    client.force_login(admin_user)
    page = client.get(reverse("admin:pipeline_stage_change", args=[used.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "新建版本" in html and 'name="_save"' not in html
    response = client.post(reverse("admin:pipeline_stage_change", args=[used.pk]), {"name": "改名"})
    assert response.status_code == 403
    used.refresh_from_db()
    assert used.name == "初步接洽"


def test_admin_new_version_then_its_stages_are_editable(client, people, make_user):
    admin_user = make_user("admin")
    new_opp(people["rep"])
    template = ProcessTemplate.objects.get(name="标准B2B销售流程")
    client.force_login(admin_user)
    change = client.get(reverse("admin:pipeline_processtemplate_change", args=[template.pk]))
    assert "新建版本" in change.content.decode() and "v1" in change.content.decode()
    url = reverse("admin:pipeline_processtemplate_new_version", args=[template.pk])
    action = client.post(
        reverse("admin:pipeline_processtemplate_changelist"),
        {"action": "new_version_action", "_selected_action": [template.pk]},
    )
    assert action.status_code == 302 and action["Location"] == url
    assert client.post(url, {"change_note": ""}).status_code == 200  # the form again
    response = client.post(url, {"change_note": "需求分析改为2个工作日"})
    version = template.current_version()
    assert response.status_code == 302 and version.number == 2
    stage_v2 = version.stages.get(code="needs_analysis")
    html = client.get(reverse("admin:pipeline_stage_change", args=[stage_v2.pk])).content.decode()
    assert 'name="_save"' in html
    assert AuditEntry.objects.filter(action="template.new_version").exists()


def test_admin_reference_lists_for_administrators_only(client, people, make_user):
    client.force_login(make_user("admin"))
    assert client.get(reverse("admin:pipeline_lostreason_changelist")).status_code == 200
    assert client.get(reverse("admin:pipeline_productline_changelist")).status_code == 200
    assert client.get(reverse("admin:pipeline_processtemplate_changelist")).status_code == 200
    stages = client.get(reverse("admin:pipeline_stage_changelist"))
    assert stages.status_code == 200 and "初步接洽" in stages.content.decode()
    assert client.get(reverse("admin:pipeline_stage_add")).status_code == 200
    client.force_login(people["rep"])
    assert client.get(reverse("admin:pipeline_lostreason_changelist")).status_code != 200
