"""The shell every page shares: sign-in and sign-out, language switch, layout, error pages and
the Content-Security-Policy rules of the templates (no inline script, style or handlers)."""

import re

import pytest
from django.urls import reverse

from salesflow.org.models import Role
from salesflow.org.services import user_create

PASSWORD = "Shell-Check-2025!"
LOGIN_URL = "/accounts/login/"


def make_user(username: str, display_name: str, *role_codes: str):
    return user_create(
        actor=None,
        username=username,
        display_name=display_name,
        password=PASSWORD,
        roles=[Role.objects.get(code=code) for code in role_codes],
    )


@pytest.fixture
def admin_user(db):
    return make_user("shell_admin", "管理员甲", "admin")


@pytest.fixture
def rep_user(db):
    return make_user("shell_rep", "销售乙", "sales_rep")


def assert_csp_clean(html: str) -> None:
    """No inline script, no style attribute, no inline event handler."""
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE):
        assert "src=" in tag, f"inline script: {tag}"
    assert not re.search(r"\sstyle\s*=", html, flags=re.IGNORECASE), "style= attribute"
    assert not re.search(r"<style\b", html, flags=re.IGNORECASE), "inline <style>"
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.IGNORECASE), "on…= handler"


@pytest.mark.django_db
class TestSignIn:
    def test_anonymous_home_redirects_to_login(self, client):
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert "next=/" in response["Location"]

    def test_login_page_renders_in_chinese(self, client):
        response = client.get(LOGIN_URL)
        assert response.status_code == 200
        html = response.content.decode()
        assert '<html lang="zh-hans">' in html
        assert "登录" in html
        assert "用户名" in html and "密码" in html
        assert 'class="form-control' in html
        assert 'name="csrfmiddlewaretoken"' in html
        assert reverse("set_language") in html
        assert "English" in html and "简体中文" in html

    def test_login_page_in_english_by_accept_language(self, client):
        response = client.get(LOGIN_URL, HTTP_ACCEPT_LANGUAGE="en")
        html = response.content.decode()
        assert '<html lang="en">' in html
        assert "Sign in" in html
        assert "登录" not in html

    def test_login_page_in_english_by_cookie(self, client, settings):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        html = client.get(LOGIN_URL).content.decode()
        assert "Sign in" in html
        assert "Username" in html

    def test_set_language_switches_to_english_and_back(self, client):
        response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN_URL})
        assert response.status_code == 302
        assert response["Location"] == LOGIN_URL
        assert "Sign in" in client.get(LOGIN_URL).content.decode()
        client.post("/i18n/setlang/", {"language": "zh-hans", "next": LOGIN_URL})
        assert "登录" in client.get(LOGIN_URL).content.decode()

    def test_bad_password_shows_the_error_and_stays(self, client, rep_user):
        response = client.post(LOGIN_URL, {"username": "shell_rep", "password": "wrong"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "请输入正确的用户名和密码" in html
        assert "_auth_user_id" not in client.session

    def test_good_login_reaches_home_with_display_name(self, client, rep_user):
        response = client.post(
            LOGIN_URL, {"username": "shell_rep", "password": PASSWORD}, follow=True
        )
        assert response.redirect_chain[-1][0] == reverse("home")
        html = response.content.decode()
        assert "销售乙" in html
        assert "销售代表" in html  # the role
        assert str(rep_user.pk) == client.session["_auth_user_id"]

    def test_login_keeps_next(self, client, admin_user):
        response = client.get(LOGIN_URL + "?next=/org/")
        assert 'name="next" value="/org/"' in response.content.decode()
        response = client.post(
            LOGIN_URL, {"username": "shell_admin", "password": PASSWORD, "next": "/org/"}
        )
        assert response.status_code == 302
        assert response["Location"] == "/org/"

    def test_logout_by_post(self, client, rep_user):
        client.force_login(rep_user)
        home = client.get("/").content.decode()
        assert f'action="{reverse("logout")}"' in home
        response = client.post(reverse("logout"))
        assert response.status_code == 302
        assert response["Location"] == reverse("login")
        assert "_auth_user_id" not in client.session
        assert client.get("/").status_code == 302

    def test_logout_by_get_is_refused(self, client, rep_user):
        client.force_login(rep_user)
        assert client.get(reverse("logout")).status_code == 405
        assert "_auth_user_id" in client.session


@pytest.mark.django_db
class TestLayout:
    def test_home_layout(self, client, admin_user):
        client.force_login(admin_user)
        response = client.get("/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "salesflow" in html
        assert "销售流程管理" in html
        assert "管理员甲" in html
        assert "修改密码" in html and reverse("password_change") in html
        assert "退出登录" in html
        assert 'hx-headers=\'{"X-CSRFToken": "' in html
        assert html.index("bootstrap.bundle.min.js") < html.index("htmx.min.js")
        assert html.index("htmx.min.js") < html.index("js/salesflow.js")
        assert "echarts" not in html
        assert "<title>首页 · salesflow</title>" in html

    def test_home_in_english(self, client, admin_user):
        client.force_login(admin_user)
        html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Change password" in html
        assert "Sign out" in html

    def test_nav_marks_the_current_page(self, client, admin_user):
        from salesflow.core import navigation

        client.force_login(admin_user)
        entries = navigation.flat_entries_for(admin_user, "main") + navigation.flat_entries_for(
            admin_user, "admin"
        )
        current = next((e for e in entries if e["url_name"] == "org:overview"), None)
        if current is None:
            pytest.skip("the organisation page is not in the menu")
        html = client.get(current["url"]).content.decode()
        url = re.escape(current["url"])
        assert re.search(rf'class="(nav-link|dropdown-item) active" href="{url}"', html)

    def test_pages_obey_the_content_security_policy(self, client, admin_user):
        assert_csp_clean(client.get(LOGIN_URL).content.decode())
        client.force_login(admin_user)
        for url in ("/", "/org/", reverse("password_change"), "/no-such-page/"):
            response = client.get(url)
            assert_csp_clean(response.content.decode())
        assert "default-src 'self'" in client.get("/")["Content-Security-Policy"]

    def test_password_change_page(self, client, rep_user):
        client.force_login(rep_user)
        response = client.get(reverse("password_change"))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="old_password"' in html and "form-control" in html
        response = client.post(
            reverse("password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": "An0ther-Shell-Pass!",
                "new_password2": "An0ther-Shell-Pass!",
            },
            follow=True,
        )
        assert response.redirect_chain[-1][0] == reverse("password_change_done")
        assert "密码已修改" in response.content.decode()


@pytest.mark.django_db
class TestErrorPages:
    def test_unknown_url_is_a_friendly_404(self, client, settings, rep_user):
        settings.DEBUG = False
        client.force_login(rep_user)
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        html = response.content.decode()
        assert "您访问的页面不存在，或您没有查看它的权限" in html
        assert 'href="/"' in html
        assert "销售乙" in html  # the layout, with the user's menu

    def test_404_for_anonymous_visitors(self, client, settings):
        settings.DEBUG = False
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert "您访问的页面不存在" in response.content.decode()

    def test_403_page(self, rf, rep_user):
        from salesflow.core.views import permission_denied

        request = rf.get("/")
        request.user = rep_user
        response = permission_denied(request)
        assert response.status_code == 403
        assert "返回首页" in response.content.decode()

    def test_500_page_needs_no_request(self):
        from django.template.loader import render_to_string

        html = render_to_string("500.html")
        assert "服务器出错了" in html
        assert "salesflow.css" in html
        assert_csp_clean(html)


@pytest.mark.django_db
class TestOrgOverview:
    def test_hidden_from_a_sales_rep(self, client, settings, rep_user):
        settings.DEBUG = False
        client.force_login(rep_user)
        assert client.get("/org/").status_code == 404

    def test_admin_sees_the_tree(self, client, admin_user, rep_user):
        from salesflow.org.services import department_create

        head = department_create(actor=None, name="销售中心", region="华东")
        team = department_create(actor=None, name="华东一组", parent=head)
        rep_user.department = team
        rep_user.manager = admin_user
        rep_user.title = "客户经理"
        rep_user.save()
        client.force_login(admin_user)
        response = client.get("/org/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "sf-depth-0" in html and "sf-depth-1" in html
        assert html.index("销售中心") < html.index("华东一组") < html.index("销售乙")
        assert "客户经理" in html and "华东" in html
        assert "未分配部门" in html  # the admin has no department
        assert "在系统管理中编辑" in html
        assert "/admin/org/department/" in html and "/admin/org/user/" in html


class TestTemplateTags:
    def test_alert_class(self):
        from salesflow.core.templatetags.salesflow_tags import alert_class

        assert alert_class("error") == "danger"
        assert alert_class("success") == "success"
        assert alert_class("debug") == "secondary"
        assert alert_class("unknown") == "info"

    def test_depth_class_is_clamped(self):
        from salesflow.core.templatetags.salesflow_tags import depth_class

        assert depth_class(0) == "sf-depth-0"
        assert depth_class(3) == "sf-depth-3"
        assert depth_class(42) == "sf-depth-10"
        assert depth_class(None) == "sf-depth-0"

    def test_pagination_keeps_other_parameters(self, rf):
        from django.core.paginator import Paginator
        from django.template import Context, Template

        request = rf.get("/list/", {"q": "华东", "page": "3"})
        page = Paginator(range(500), 10).get_page(3)
        html = Template('{% include "includes/pagination.html" %}').render(
            Context({"page": page, "request": request})
        )
        assert "?q=%E5%8D%8E%E4%B8%9C&amp;page=4" in html
        assert "?q=%E5%8D%8E%E4%B8%9C&amp;page=2" in html
        assert "…" in html
        assert "500" in html

    def test_heading_defaults_to_the_title(self, rf):
        from django.template import Context, Template

        request = rf.get("/")
        html = Template('{% extends "base.html" %}{% block title %}客户列表{% endblock %}').render(
            Context({"request": request})
        )
        assert re.search(r"<h1[^>]*>客户列表</h1>", html)
        assert "<title>客户列表 · salesflow</title>" in html


@pytest.mark.django_db
def test_lockout_page_after_five_failures(client, rep_user):
    for _ in range(5):
        client.post(LOGIN_URL, {"username": "shell_rep", "password": "wrong"})
    response = client.post(LOGIN_URL, {"username": "shell_rep", "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code in (403, 429)
    assert "账号已被临时锁定，请15分钟后再试或联系管理员解锁" in html
    assert "_auth_user_id" not in client.session
    assert_csp_clean(html)


def test_messages_and_calendar_warning_render_as_alerts(rf):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.template import Context, Template

    request = rf.get("/")
    html = Template('{% extends "base.html" %}{% block title %}T{% endblock %}').render(
        Context(
            {
                "request": request,
                "messages": [
                    Message(constants.ERROR, "出错了"),
                    Message(constants.SUCCESS, "已保存"),
                ],
                "calendar_warning": "2027 年的节假日尚未收录",
            }
        )
    )
    assert re.search(r'class="alert alert-danger alert-dismissible[^"]*"[^>]*>\s*出错了', html)
    assert re.search(r'class="alert alert-success alert-dismissible[^"]*"[^>]*>\s*已保存', html)
    assert re.search(r"alert-warning alert-dismissible.*2027 年的节假日尚未收录", html, re.S)
    assert_csp_clean(html)
