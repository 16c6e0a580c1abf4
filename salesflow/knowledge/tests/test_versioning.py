"""Every save of a page, script or case is a version with a "what changed" note; the history
lists them, the diff shows what changed, and restoring an old version writes a new one."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from salesflow.core.errors import DomainError
from salesflow.core.models import AuditEntry
from salesflow.knowledge import selectors, services
from salesflow.knowledge.models import HandbookPage, Kind, Revision

pytestmark = pytest.mark.django_db

PAGE_V1 = {"what_to_do": "电话或邮件联系客户，介绍价值，确认需求。", "tips": "先问后说。"}


def save_page(actor, b2b, data, note="首次编写", stage="初步接洽"):
    return services.page_save(
        actor=actor, template_id=b2b.pk, stage_name=stage, data=data, note=note
    )


def test_each_save_is_a_new_version_with_its_note(people, b2b):
    manager = people["manager"]
    page = save_page(manager, b2b, PAGE_V1)
    assert page.version == 1
    page = save_page(manager, b2b, {**PAGE_V1, "mistakes": "一上来就报价。"}, note="补充常见错误")
    assert page.version == 2
    assert HandbookPage.objects.count() == 1
    revisions = list(Revision.objects.filter(kind=Kind.PAGE, object_id=page.pk))
    assert [(r.number, r.note) for r in revisions] == [(2, "补充常见错误"), (1, "首次编写")]
    assert revisions[0].data["mistakes"] == "一上来就报价。"
    assert revisions[1].data["mistakes"] == ""
    assert revisions[0].author == manager
    assert AuditEntry.objects.filter(action="knowledge.page.change").count() == 1


def test_the_note_is_required_and_an_unchanged_save_is_refused(people, b2b):
    manager = people["manager"]
    with pytest.raises(ValidationError) as exc:
        save_page(manager, b2b, PAGE_V1, note="  ")
    assert "note" in exc.value.error_dict
    assert not HandbookPage.objects.exists()
    save_page(manager, b2b, PAGE_V1)
    with pytest.raises(ValidationError):
        save_page(manager, b2b, PAGE_V1, note="再存一次")
    assert Revision.objects.count() == 1


def test_a_page_belongs_to_a_stage_of_the_template(people, b2b):
    with pytest.raises(ValidationError):
        save_page(people["manager"], b2b, PAGE_V1, stage="不存在的阶段")


def test_diff_marks_the_inserted_and_deleted_text(people, b2b):
    manager = people["manager"]
    page = save_page(manager, b2b, PAGE_V1)
    save_page(manager, b2b, {**PAGE_V1, "tips": "先问后说，多听少讲。"}, note="改提示")
    old, new = (Revision.objects.get(kind=Kind.PAGE, object_id=page.pk, number=n) for n in (1, 2))
    rows = {r["label"]: r for r in selectors.revision_diff(kind=Kind.PAGE, old=old, new=new)}
    assert rows["要做什么"]["changed"] is False
    tips = rows["技巧提示"]
    assert tips["changed"] is True
    assert ("insert", "，多听少讲") in tips["segments"]
    assert "".join(t for op, t in tips["segments"] if op != "delete") == "先问后说，多听少讲。"


def test_restore_writes_the_old_content_as_a_new_version(people, b2b):
    manager = people["manager"]
    page = save_page(manager, b2b, PAGE_V1)
    save_page(manager, b2b, {**PAGE_V1, "what_to_do": "直接报价。"}, note="改错了")
    page = services.revision_restore(
        actor=manager, kind=Kind.PAGE, object_id=page.pk, number=1, note="第2版有误"
    )
    assert page.version == 3
    assert page.what_to_do == PAGE_V1["what_to_do"]
    latest = Revision.objects.get(kind=Kind.PAGE, object_id=page.pk, number=3)
    assert latest.restored_from == 1
    assert latest.note == "恢复到第 1 版：第2版有误"
    assert Revision.objects.filter(kind=Kind.PAGE, object_id=page.pk).count() == 3
    with pytest.raises(DomainError):
        services.revision_restore(actor=manager, kind=Kind.PAGE, object_id=page.pk, number=3)


def test_a_rep_cannot_write_or_restore(people, b2b):
    rep = people["rep"]
    with pytest.raises(PermissionDenied):
        save_page(rep, b2b, PAGE_V1)
    with pytest.raises(PermissionDenied):
        services.script_save(actor=rep, data={"title": "价格异议", "script": "……"}, note="新建")
    page = save_page(people["manager"], b2b, PAGE_V1)
    save_page(people["manager"], b2b, {**PAGE_V1, "tips": "x"}, note="改")
    with pytest.raises(PermissionDenied):
        services.revision_restore(actor=rep, kind=Kind.PAGE, object_id=page.pk, number=1)


def test_script_versions_keep_their_stage_and_template(people, b2b):
    director = people["director"]
    script = services.script_save(
        actor=director,
        data={
            "title": "客户说价格太高",
            "script": "先认同，再谈价值。",
            "tags": "价格, 异议",
            "stage_name": "商务谈判",
            "template_id": b2b.pk,
        },
        note="新建",
    )
    script = services.script_save(
        actor=director, script_id=script.pk, data={"stage_name": ""}, note="改为通用话术"
    )
    assert script.version == 2 and script.stage_name == ""
    old = Revision.objects.get(kind=Kind.SCRIPT, object_id=script.pk, number=1)
    new = Revision.objects.get(kind=Kind.SCRIPT, object_id=script.pk, number=2)
    rows = {r["label"]: r for r in selectors.revision_diff(kind=Kind.SCRIPT, old=old, new=new)}
    assert rows["阶段"]["changed"] and ("delete", "商务谈判") in rows["阶段"]["segments"]
    assert rows["流程模板"]["segments"] == [("equal", b2b.name)]
    with pytest.raises(ValidationError):
        services.script_save(
            actor=director, script_id=script.pk, data={"stage_name": "不存在"}, note="x"
        )


def test_history_diff_and_restore_pages(client, people, b2b):
    manager = people["manager"]
    page = save_page(manager, b2b, PAGE_V1)
    save_page(manager, b2b, {**PAGE_V1, "tips": "多听少讲。"}, note="改提示")
    client.force_login(people["rep"])
    response = client.get(reverse("knowledge:history", args=["page", page.pk]))
    assert response.status_code == 200
    assert "改提示" in response.content.decode() and "恢复此版本" not in response.content.decode()
    response = client.get(reverse("knowledge:diff", args=["page", page.pk]) + "?a=1&b=2")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<ins" in html and "多听少讲" in html and "<del" in html
    # a rep may not restore
    url = reverse("knowledge:restore", args=["page", page.pk, 1])
    assert client.post(url).status_code == 404
    client.force_login(manager)
    assert (
        "恢复此版本"
        in client.get(reverse("knowledge:history", args=["page", page.pk])).content.decode()
    )
    response = client.post(url, {"note": "回到原文"})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.version == 3 and page.tips == PAGE_V1["tips"]
    assert client.get(reverse("knowledge:history", args=["nope", page.pk])).status_code == 404
