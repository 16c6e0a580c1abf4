import pytest
from django.apps import apps
from django.core.management import call_command
from django.http import Http404

from salesflow.core import scope
from salesflow.org.models import Role, RolePermission
from tests.scopeapp.models import Thing, UnregisteredThing

pytestmark = pytest.mark.django_db


def names(user, action="view"):
    return sorted(Thing.objects.restrict(user, action).values_list("name", flat=True))


@pytest.fixture
def chain(make_user, make_department):
    """director → manager → team lead → rep: a reporting chain three levels deep."""
    sales = make_department("销售中心")
    director = make_user("sales_director", department=sales, username="director")
    manager = make_user("sales_manager", department=sales, manager=director, username="manager")
    lead = make_user("sales_manager", department=sales, manager=manager, username="lead")
    rep = make_user("sales_rep", department=sales, manager=lead, username="rep")
    peer = make_user("sales_rep", department=sales, manager=director, username="peer")
    for user in (director, manager, lead, rep, peer):
        Thing.objects.create(name=user.username, owner=user)
    return director, manager, lead, rep, peer


def test_own_scope_sees_only_own_records(chain):
    *_, rep, _peer = chain
    assert names(rep) == ["rep"]


def test_subordinates_scope_follows_the_whole_reporting_chain(chain):
    _director, manager, lead, _rep, _peer = chain
    assert names(manager) == ["lead", "manager", "rep"]
    assert names(lead) == ["lead", "rep"]


def test_company_scope_sees_everything(chain):
    director, *_ = chain
    Thing.objects.create(name="unassigned", owner=None)
    assert names(director) == ["director", "lead", "manager", "peer", "rep", "unassigned"]


def test_out_of_scope_record_is_not_found(chain):
    _director, manager, _lead, rep, _peer = chain
    peer_thing = Thing.objects.get(name="peer")
    with pytest.raises(Http404):
        Thing.objects.get_in_scope(rep, "view", pk=peer_thing.pk)
    with pytest.raises(Http404):
        Thing.objects.get_in_scope(manager, "view", pk=peer_thing.pk)
    assert Thing.objects.get_in_scope(manager, "view", pk=Thing.objects.get(name="rep").pk)


def test_action_without_right_sees_nothing(chain):
    *_, rep, _peer = chain
    # A sales rep may not export (SPEC "Roles"): the export queryset is empty.
    assert names(rep, "export") == []
    assert names(rep, "view") == ["rep"]


def test_anonymous_and_inactive_users_see_nothing(chain, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    *_, rep, _peer = chain
    assert names(AnonymousUser()) == []
    rep.is_active = False
    scope.forget_rights(rep)
    assert names(rep) == []


@pytest.fixture
def tree(make_user, make_department):
    """公司 → 销售中心 → 华东区 → 上海组 ; 销售中心 → 华南区."""
    company = make_department("公司")
    sales = make_department("销售中心", parent=company)
    east = make_department("华东区", parent=sales, region="华东")
    shanghai = make_department("上海组", parent=east, region="华东")
    south = make_department("华南区", parent=sales, region="华南")
    people = {
        "sales": make_user("sales_rep", department=sales, username="u_sales"),
        "east": make_user("sales_rep", department=east, username="u_east"),
        "shanghai": make_user("sales_rep", department=shanghai, username="u_shanghai"),
        "south": make_user("sales_rep", department=south, username="u_south"),
    }
    for key, user in people.items():
        Thing.objects.create(name=key, owner=user)
    return {"sales": sales, "east": east, "shanghai": shanghai, "south": south}, people


def department_tree_role():
    role = Role.objects.create(
        code="regional_head", name="区域负责人", data_scope="department_tree"
    )
    RolePermission.objects.create(role=role, object_type="lead", actions=["view"])
    return role


def department_role():
    role = Role.objects.create(code="desk", name="部门内勤", data_scope="department")
    RolePermission.objects.create(role=role, object_type="lead", actions=["view"])
    return role


def test_department_scope_is_own_department_only(tree, make_user):
    depts, _ = tree
    department_role()
    clerk = make_user("desk", department=depts["east"])
    assert names(clerk) == ["east"]


def test_sales_assistant_sees_their_department_and_below(tree, make_user):
    depts, _ = tree
    assistant = make_user("sales_assistant", department=depts["east"])
    assert names(assistant) == ["east", "shanghai"]


def test_department_tree_scope_includes_every_level_below(tree, make_user):
    depts, _ = tree
    department_tree_role()
    head = make_user("regional_head", department=depts["sales"])
    assert names(head) == ["east", "sales", "shanghai", "south"]
    east_head = make_user("regional_head", department=depts["east"])
    assert names(east_head) == ["east", "shanghai"]


def test_moving_a_user_to_another_department_moves_their_scope(tree, make_user):
    depts, _ = tree
    assistant = make_user("sales_assistant", department=depts["east"])
    assert names(assistant) == ["east", "shanghai"]
    assistant.department = depts["south"]
    assistant.save()
    scope.forget_rights(assistant)
    assert names(assistant) == ["south"]


def test_moving_a_department_moves_its_subtree(tree, make_user):
    from salesflow.org.services import department_save

    depts, _ = tree
    department_tree_role()
    south_head = make_user("regional_head", department=depts["south"])
    assert names(south_head) == ["south"]
    east = depts["east"]
    east.parent = depts["south"]
    department_save(actor=None, department=east)
    scope.forget_rights(south_head)
    assert names(south_head) == ["east", "shanghai", "south"]


def test_several_roles_give_the_union_of_their_scopes(tree, make_user):
    depts, people = tree
    department_role()
    # A manager in 华南 whose report works in 上海组: subordinates ∪ own department.
    manager = make_user("sales_manager", department=depts["south"])
    people["shanghai"].manager = manager
    people["shanghai"].save()
    assert names(manager) == ["shanghai"]
    manager.roles.add(Role.objects.get(code="desk"))
    scope.forget_rights(manager)
    assert names(manager) == ["shanghai", "south"]


def test_per_object_type_scope_overrides_role_default(tree, make_user):
    depts, _ = tree
    role = Role.objects.get(code="sales_rep")
    RolePermission.objects.filter(role=role, object_type="lead").update(data_scope="company")
    user = make_user("sales_rep", department=depts["east"])
    assert names(user) == ["east", "sales", "shanghai", "south"]


def test_model_extra_rule_widens_scope(make_user):
    marketer = make_user("marketing")
    manager = make_user("sales_manager")
    rep = make_user("sales_rep", manager=manager)
    Thing.objects.create(name="pool", owner=None)
    Thing.objects.create(name="entered", owner=rep, created_by=marketer)
    Thing.objects.create(name="other", owner=rep)
    assert names(marketer) == ["entered"]
    assert names(rep) == ["entered", "other"]
    assert names(manager) == ["entered", "other", "pool"]


def test_restrict_is_one_query_and_uses_no_subquery_on_owner(chain, django_assert_num_queries):
    _director, manager, *_ = chain
    list(Thing.objects.restrict(manager))  # warm the per-request caches
    with django_assert_num_queries(1) as captured:
        list(Thing.objects.restrict(manager))
    sql = captured.captured_queries[0]["sql"]
    assert "owner_id" in sql and "IN (" in sql


def test_every_owned_model_is_registered_for_scope():
    assert scope.unregistered_owned_models() == []


def test_registry_check_catches_an_unregistered_owned_model():
    candidates = apps.get_app_config("scopeapp").get_models()
    assert scope.unregistered_owned_models(candidates, module_prefix="tests.") == [
        UnregisteredThing
    ]


def test_system_check_passes():
    call_command("check", fail_level="ERROR")


def test_no_right_means_no_records_even_through_an_extra_rule(make_user):
    # customer_service holds no lead right: the "entered by me" extra must not open leads.
    clerk = make_user("customer_service")
    Thing.objects.create(name="mine", owner=None, created_by=clerk)
    assert names(clerk) == []


def test_collaborators_see_and_edit_but_do_not_delete(make_user):
    from django.contrib.contenttypes.models import ContentType

    from salesflow.core.collab import collaborator_extra
    from salesflow.core.models import Collaborator

    owner = make_user("sales_rep")
    helper = make_user("sales_manager")
    thing = Thing.objects.create(name="shared", owner=owner)
    Collaborator.objects.create(
        content_type=ContentType.objects.get_for_model(Thing),
        object_id=thing.pk,
        user=helper,
        can_edit=True,
    )
    extra = collaborator_extra("scopeapp.thing")
    assert Thing.objects.filter(extra(helper, "view")).count() == 1
    assert Thing.objects.filter(extra(helper, "change")).count() == 1
    assert extra(helper, "delete") is None
