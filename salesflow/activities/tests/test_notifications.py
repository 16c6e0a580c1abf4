"""Notifications: inbox, preferences, email, 企业微信/钉钉 robots (checked by a local server),
retries with backoff, the failed-deliveries list and the header count."""

import datetime
import urllib.parse

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from salesflow.activities import delivery as sender
from salesflow.activities.context_processors import notifications as notifications_context
from salesflow.activities.models import (
    Channel,
    Delivery,
    Notification,
    NotificationPreference,
    WebhookEndpoint,
)
from salesflow.activities.notify import notify
from salesflow.core.models import AuditEntry

from .webhook_server import RobotServer, dingtalk_expected_sign

pytestmark = pytest.mark.django_db

SECRET = "SEC0123456789abcdef0123456789abcdef"


@pytest.fixture
def robot():
    """``robot("wecom")`` / ``robot("dingtalk", secret=…)``: a started local robot server."""
    servers = []

    def start(kind, **options):
        server = RobotServer(kind, **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def rep(make_user):
    return make_user("sales_rep", display_name="张三")


@pytest.fixture
def admin(make_user):
    return make_user("admin", display_name="管理员")


def choose(user, kind, *channels):
    NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"channels": ["in_app", *channels]}
    )


def endpoint(server, *, department=None, secret="", **fields):
    return WebhookEndpoint.objects.create(
        name=fields.pop("name", f"{server.kind} 群"),
        kind=server.kind,
        url=server.url,
        secret=secret,
        department=department,
        **fields,
    )


def notify_now(capture, user, kind="task.assigned", title="新任务：拜访华东客户", **kwargs):
    """notify() as a service would call it; the on-commit enqueue runs the (immediate) task."""
    with capture(execute=True):
        return notify(user, kind, title, **kwargs)


# --- notify and email ---------------------------------------------------------------------


def test_notify_writes_inbox_message_and_a_delivery_per_chosen_channel(rep):
    notification = notify(rep, "task.assigned", "新任务", "请今天完成", "/tasks/1/")
    assert Notification.objects.get() == notification
    assert notification.read_at is None
    # default: in-app + email → one email delivery
    assert list(notification.deliveries.values_list("channel", flat=True)) == ["email"]

    choose(rep, "lead.assigned", "wecom", "dingtalk")
    other = notify(rep, "lead.assigned", "新线索")
    assert sorted(other.deliveries.values_list("channel", flat=True)) == ["dingtalk", "wecom"]

    choose(rep, "task.overdue")  # in-app only
    assert not notify(rep, "task.overdue", "任务逾期").deliveries.exists()


def test_email_goes_through_the_email_backend_with_an_absolute_link(
    rep, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://crm.example.cn"
    notification = notify_now(
        django_capture_on_commit_callbacks, rep, body="客户：华东机电", url="/tasks/7/"
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "新任务：拜访华东客户"
    assert message.to == [rep.email]
    assert "客户：华东机电" in message.body
    assert "https://crm.example.cn/tasks/7/" in message.body
    delivery = notification.deliveries.get()
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 1
    assert delivery.sent_at is not None


def test_a_user_without_email_gets_no_email_delivery(make_user, django_capture_on_commit_callbacks):
    user = make_user("sales_rep", email="")
    notification = notify_now(django_capture_on_commit_callbacks, user)
    assert Notification.objects.filter(pk=notification.pk).exists()
    assert not notification.deliveries.exists()
    assert mail.outbox == []


# --- 企业微信 and 钉钉 --------------------------------------------------------------------------


def test_wecom_robot_receives_the_documented_markdown_message(
    rep, robot, django_capture_on_commit_callbacks
):
    server = robot("wecom")
    endpoint(server)
    choose(rep, "task.assigned", "wecom")
    notification = notify_now(
        django_capture_on_commit_callbacks, rep, body="截止：周五", url="/tasks/3/"
    )

    assert len(server.requests) == 1
    received = server.requests[0]
    assert received.headers["content-type"].startswith("application/json")
    assert set(received.json) == {"msgtype", "markdown"}
    assert received.json["msgtype"] == "markdown"
    assert set(received.json["markdown"]) == {"content"}
    content = received.json["markdown"]["content"]
    assert "新任务：拜访华东客户" in content and "张三" in content and "截止：周五" in content
    assert "/tasks/3/" in content
    assert received.answer == {"errcode": 0, "errmsg": "ok"}
    delivery = notification.deliveries.get()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.endpoint.kind == "wecom"


def test_wecom_markdown_is_cut_to_4096_bytes(rep, robot, django_capture_on_commit_callbacks):
    server = robot("wecom")
    endpoint(server)
    choose(rep, "task.assigned", "wecom")
    notification = notify_now(django_capture_on_commit_callbacks, rep, body="很长的说明。" * 1000)
    content = server.requests[0].json["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert notification.deliveries.get().status == Delivery.Status.SENT


def test_dingtalk_robot_checks_the_signature(rep, robot, django_capture_on_commit_callbacks):
    server = robot("dingtalk", secret=SECRET)
    endpoint(server, secret=SECRET)
    choose(rep, "task.assigned", "dingtalk")
    notification = notify_now(django_capture_on_commit_callbacks, rep, body="请尽快处理")

    received = server.requests[0]
    assert received.json["msgtype"] == "markdown"
    assert received.json["markdown"]["title"] == "新任务：拜访华东客户"
    assert "请尽快处理" in received.json["markdown"]["text"]
    assert "张三" in received.json["markdown"]["text"]
    timestamp = received.query["timestamp"]
    assert abs(int(timestamp) - timezone.now().timestamp() * 1000) < 60_000
    assert received.query["sign"] == dingtalk_expected_sign(SECRET, timestamp)
    assert received.query["access_token"] == "test-token"
    assert received.answer["errcode"] == 0
    assert notification.deliveries.get().status == Delivery.Status.SENT


def test_dingtalk_sign_matches_the_documented_algorithm():
    # quote_plus(base64(HMAC-SHA256(secret, "timestamp\nsecret")))
    sign = sender.dingtalk_sign(SECRET, "1700000000000")
    assert urllib.parse.unquote_plus(sign) == dingtalk_expected_sign(SECRET, "1700000000000")
    assert "+" not in sign and "/" not in sign and "=" not in sign


def test_dingtalk_with_a_wrong_secret_is_a_failure(rep, robot, django_capture_on_commit_callbacks):
    server = robot("dingtalk", secret=SECRET)
    endpoint(server, secret="SECwrong")
    choose(rep, "task.assigned", "dingtalk")
    notification = notify_now(django_capture_on_commit_callbacks, rep)

    assert server.requests[0].answer["errcode"] == 310000
    delivery = notification.deliveries.get()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 1
    assert "310000" in delivery.last_error


def test_dingtalk_without_the_required_signature_is_a_failure(
    rep, robot, django_capture_on_commit_callbacks
):
    server = robot("dingtalk", secret=SECRET)
    endpoint(server)  # no secret configured on our side: unsigned request
    choose(rep, "task.assigned", "dingtalk")
    notification = notify_now(django_capture_on_commit_callbacks, rep)
    assert server.requests[0].answer["errcode"] == 310000
    assert notification.deliveries.get().status == Delivery.Status.PENDING


def test_robot_of_the_nearest_department_up_the_tree_is_used(
    make_user, make_department, robot, django_capture_on_commit_callbacks
):
    east = make_department("华东大区")
    shanghai = make_department("上海销售部", parent=east)
    team = make_department("上海一组", parent=shanghai)
    company_server, east_server, team_server = robot("wecom"), robot("wecom"), robot("wecom")
    endpoint(company_server, name="全公司")
    endpoint(east_server, department=east, name="华东")
    endpoint(team_server, department=team, name="一组（停用）", is_active=False)

    in_team = make_user("sales_rep", department=team)
    no_department = make_user("sales_rep")
    for user in (in_team, no_department):
        choose(user, "task.assigned", "wecom")
        notify_now(django_capture_on_commit_callbacks, user)

    assert len(east_server.requests) == 1  # team's robot is inactive → 上海销售部 has none → 华东
    assert len(company_server.requests) == 1  # no department → the company robot
    assert team_server.requests == []
    assert sender.endpoint_for(in_team, Channel.DINGTALK) is None


def test_no_robot_configured_fails_with_a_clear_error(rep, django_capture_on_commit_callbacks):
    choose(rep, "task.assigned", "dingtalk")
    notification = notify_now(django_capture_on_commit_callbacks, rep)
    delivery = notification.deliveries.get()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    assert "没有可用的钉钉群机器人" in delivery.last_error


# --- retries, backoff, the failed list -----------------------------------------------------


def test_failing_endpoint_is_retried_with_backoff_then_listed_and_retried_by_hand(
    rep, admin, client, robot, django_capture_on_commit_callbacks
):
    server = robot("wecom")
    endpoint(server)
    choose(rep, "task.assigned", "wecom")
    server.fail_next(5)
    notification = notify_now(django_capture_on_commit_callbacks, rep, title="商机停滞提醒")
    delivery = notification.deliveries.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 1)
    assert "500" in delivery.last_error

    gaps = []
    for _attempt in range(4):
        previous_due, now = delivery.next_attempt_at, delivery.next_attempt_at
        assert sender.deliver_due(now=now - datetime.timedelta(seconds=1)) == 0  # not yet due
        assert sender.deliver_due(now=now) == 0  # due: sent, fails again
        delivery.refresh_from_db()
        if delivery.status == Delivery.Status.PENDING:
            gaps.append(delivery.next_attempt_at - previous_due)
    minutes = [gap / datetime.timedelta(minutes=1) for gap in gaps]
    assert minutes == [5, 30, 120]  # after the 1st failure it waited 1 minute (see below)
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 5
    assert len(server.requests) == 5 and all(r.status == 500 for r in server.requests)
    # Failed rows are not picked up again by the sweep.
    assert sender.deliver_due(now=timezone.now() + datetime.timedelta(days=1)) == 0
    assert len(server.requests) == 5

    client.force_login(admin)
    page = client.get(reverse("activities:failed_deliveries"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "商机停滞提醒" in html and "HTTP 错误 500" in html and "张三" in html

    # The endpoint works again: retry from the page sends it now.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("activities:failed_delivery_retry", args=[delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.last_error == ""
    assert server.requests[-1].answer["errcode"] == 0
    assert AuditEntry.objects.filter(action="delivery.retry", object_id=str(delivery.pk)).exists()
    assert (
        "商机停滞提醒" not in client.get(reverse("activities:failed_deliveries")).content.decode()
    )


def test_first_retry_waits_one_minute(rep, robot, django_capture_on_commit_callbacks):
    server = robot("wecom")
    endpoint(server)
    choose(rep, "task.assigned", "wecom")
    server.fail_next(1)
    before = timezone.now()
    notification = notify_now(django_capture_on_commit_callbacks, rep)
    delivery = notification.deliveries.get()
    wait = delivery.next_attempt_at - before
    assert datetime.timedelta(minutes=1) <= wait < datetime.timedelta(minutes=1, seconds=30)
    assert sender.deliver_due(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 2)


def test_sweep_is_idempotent_and_sends_what_an_enqueue_missed(rep, robot):
    server = robot("wecom")
    endpoint(server)
    choose(rep, "task.assigned", "wecom")
    notify(rep, "task.assigned", "on_commit 未执行")  # no on-commit: as if the enqueue was lost
    assert server.requests == []
    from salesflow.activities.tasks import send_deliveries

    send_deliveries.enqueue()  # the periodic sweep
    send_deliveries.enqueue()
    assert len(server.requests) == 1
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_send_deliveries_is_a_periodic_job():
    from salesflow.activities import tasks
    from salesflow.core.jobs import periodic_jobs

    job = periodic_jobs()["activities.send_deliveries"]
    assert job.task is tasks.send_deliveries
    assert job.every == datetime.timedelta(minutes=1)


def test_a_bug_in_a_sender_is_recorded_not_lost(rep, monkeypatch):
    notification = notify(rep, "task.assigned", "出错")

    def broken(delivery):
        raise RuntimeError("boom")

    monkeypatch.setattr(sender, "send_email", broken)
    sender.deliver_due()
    delivery = notification.deliveries.get()
    assert (
        delivery.status == Delivery.Status.PENDING and "RuntimeError: boom" in delivery.last_error
    )


def test_failed_list_and_retry_are_for_administrators_only(rep, client):
    notification = notify(rep, "task.assigned", "x")
    delivery = notification.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=5, last_error="e")
    client.force_login(rep)
    assert client.get(reverse("activities:failed_deliveries")).status_code == 404
    url = reverse("activities:failed_delivery_retry", args=[delivery.pk])
    assert client.post(url).status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED


def test_retrying_a_sent_delivery_is_not_found(rep, admin, client):
    notification = notify(rep, "task.assigned", "x")
    delivery = notification.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(status="sent")
    client.force_login(admin)
    url = reverse("activities:failed_delivery_retry", args=[delivery.pk])
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 405


# --- inbox, preferences, header ------------------------------------------------------------


def test_inbox_lists_unread_first_and_marks_read(rep, client):
    old_unread = notify(rep, "task.assigned", "旧的未读")
    Notification.objects.filter(pk=old_unread.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    read = notify(rep, "task.assigned", "新的已读")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    newest = notify(rep, "lead.assigned", "最新未读", url="/leads/9/")

    client.force_login(rep)
    html = client.get(reverse("activities:notifications")).content.decode()
    assert html.index("最新未读") < html.index("旧的未读") < html.index("新的已读")
    assert "分配给我的线索" in html  # the kind's label
    unread_page = client.get(reverse("activities:notifications") + "?show=unread")
    assert "新的已读" not in unread_page.content.decode()

    response = client.post(reverse("activities:notification_read", args=[old_unread.pk]))
    assert response.status_code == 302
    old_unread.refresh_from_db()
    assert old_unread.read_at is not None

    response = client.post(reverse("activities:notification_open", args=[newest.pk]))
    assert response.status_code == 302 and response["Location"] == "/leads/9/"
    newest.refresh_from_db()
    assert newest.read_at is not None


def test_open_never_redirects_off_site(rep, client):
    notification = notify(rep, "task.assigned", "x", url="https://evil.example.com/")
    client.force_login(rep)
    response = client.post(reverse("activities:notification_open", args=[notification.pk]))
    assert response["Location"] == reverse("activities:notifications")


def test_mark_all_read(rep, make_user, client):
    other = make_user("sales_rep")
    for i in range(3):
        notify(rep, "task.assigned", f"消息{i}")
    theirs = notify(other, "task.assigned", "别人的")
    client.force_login(rep)
    assert client.get(reverse("activities:notifications_read_all")).status_code == 405
    response = client.post(reverse("activities:notifications_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=rep, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_another_users_notification_is_not_found(rep, make_user, client):
    theirs = notify(make_user("sales_rep"), "task.assigned", "别人的消息", url="/x/")
    client.force_login(rep)
    for name in ("activities:notification_read", "activities:notification_open"):
        assert client.post(reverse(name, args=[theirs.pk])).status_code == 404
    assert "别人的消息" not in client.get(reverse("activities:notifications")).content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_pages_need_sign_in(client):
    for name in ("activities:notifications", "activities:preferences"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_preferences_page_saves_channels_per_kind_and_audits(rep, client, robot):
    server = robot("wecom")
    endpoint(server)  # a company 企业微信 robot: that channel can be chosen; 钉钉 cannot
    client.force_login(rep)
    page = client.get(reverse("activities:preferences"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "分配给我的任务" in html and "企业微信群机器人" in html
    assert 'id="pref-task.assigned-email" checked' in html  # default: in-app + email
    assert 'id="pref-task.assigned-dingtalk" disabled' in html
    assert (
        "pref-task.assigned-wecom" in html and 'id="pref-task.assigned-wecom" disabled' not in html
    )

    response = client.post(
        reverse("activities:preferences"),
        {
            "pref-task.assigned": ["wecom", "dingtalk"],  # dingtalk is not available: ignored
            "pref-task.overdue": ["email"],  # unchanged from the default
            "pref-lead.assigned": [],  # in-app only
            **{f"pref-{k}": ["email"] for k in ("cadence.due", "approval.pending")},
            "pref-unknown.kind": ["email"],
        },
    )
    assert response.status_code == 302
    saved = dict(NotificationPreference.objects.filter(user=rep).values_list("kind", "channels"))
    assert saved["task.assigned"] == ["in_app", "wecom"]
    assert saved["lead.assigned"] == ["in_app"]
    assert "task.overdue" not in saved and "cadence.due" not in saved
    assert "unknown.kind" not in saved
    entries = AuditEntry.objects.filter(action="notification_preference.change", actor=rep)
    assert entries.count() == len(saved)

    choose_after = notify(rep, "task.assigned", "走企业微信")
    assert list(choose_after.deliveries.values_list("channel", flat=True)) == ["wecom"]


def test_preferences_keep_an_unavailable_channel_as_it_was(rep, client):
    choose(rep, "task.assigned", "email", "dingtalk")  # chosen while a 钉钉 robot existed
    client.force_login(rep)
    client.post(reverse("activities:preferences"), {"pref-task.assigned": []})
    assert NotificationPreference.objects.get(user=rep, kind="task.assigned").channels == [
        "in_app",
        "dingtalk",
    ]


def test_header_shows_the_unread_count(rep, client):
    client.force_login(rep)
    html = client.get("/").content.decode()
    assert 'id="sf-bell"' in html and "sf-bell-count" not in html
    for i in range(3):
        notify(rep, "task.assigned", f"消息{i}")
    html = client.get("/").content.decode()
    assert 'data-unread="3"' in html
    assert reverse("activities:notifications") in html


def test_header_count_is_one_query_and_none_for_anonymous(rep, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    notify(rep, "task.assigned", "x")
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert notifications_context(request) == {}
    request.user = rep
    context = notifications_context(request)
    with django_assert_num_queries(1):
        assert context["unread_notifications"]() == 1
        assert context["unread_notifications"]() == 1


def test_pages_render_without_inline_script_or_style(rep, admin, client):
    from salesflow.core.tests.test_shell import assert_csp_clean

    notify(rep, "task.assigned", "x", url="/a/")
    client.force_login(rep)
    for name in ("activities:notifications", "activities:preferences"):
        assert_csp_clean(client.get(reverse(name)).content.decode())
    client.force_login(admin)
    assert_csp_clean(client.get(reverse("activities:failed_deliveries")).content.decode())


# --- admin -----------------------------------------------------------------------------------


def test_admin_endpoint_secret_is_kept_and_never_audited_in_clear(admin, client):
    client.force_login(admin)
    add_url = reverse("admin:activities_webhookendpoint_add")
    response = client.post(
        add_url,
        {
            "name": "钉钉销售群",
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=tok-123",
            "secret": SECRET,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    robot_row = WebhookEndpoint.objects.get()
    assert robot_row.secret == SECRET
    change_url = reverse("admin:activities_webhookendpoint_change", args=[robot_row.pk])
    assert SECRET not in client.get(change_url).content.decode()
    client.post(
        change_url,
        {"name": "钉钉销售群（改名）", "kind": "dingtalk", "url": robot_row.url, "secret": ""},
    )
    robot_row.refresh_from_db()
    assert robot_row.name == "钉钉销售群（改名）" and robot_row.secret == SECRET
    for entry in AuditEntry.objects.filter(action__startswith="webhookendpoint."):
        assert SECRET not in str(entry.changes) and "tok-123" not in str(entry.changes)
    assert (
        SECRET
        not in client.get(reverse("admin:activities_webhookendpoint_changelist")).content.decode()
    )


def test_admin_delivery_list_is_read_only_with_a_retry_action(rep, admin, client):
    notification = notify(rep, "task.assigned", "x")
    delivery = notification.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=5, last_error="e")
    client.force_login(admin)
    changelist = reverse("admin:activities_delivery_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:activities_delivery_add")).status_code == 403
    response = client.post(changelist, {"action": "retry", "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status in (Delivery.Status.PENDING, Delivery.Status.SENT)
