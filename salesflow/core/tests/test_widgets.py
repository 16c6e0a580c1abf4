"""The Python-rendered widgets give exactly Django's template-rendered markup."""

import pytest
from django import forms
from django.utils.translation import gettext_lazy as _

from salesflow.core.widgets import FastHiddenInput, FastNumberInput, FastSelect, FastTextInput

CHOICES = [
    ("", _("全部负责人")),
    ("none", _("未分配")),
    (3, '张 <三> & "李"'),
    (12, "王五"),
]
GROUPED = [("", "—"), ("华东", [(1, "苏州"), (2, "上海")]), ("华南", [(3, "深圳")])]


@pytest.mark.parametrize(
    ("choices", "value", "attrs"),
    [
        (CHOICES, None, None),
        (CHOICES, "", {"class": "form-select form-select-sm"}),
        (CHOICES, "3", {"class": "form-select", "id": "id_owner", "required": True}),
        (CHOICES, 12, {"disabled": True, "data-x": 'a"b', "hidden": False}),
        (GROUPED, "2", {"id": "id_region"}),
    ],
)
def test_fast_select_matches_django(choices, value, attrs):
    django_html = forms.Select(choices=choices).render("owner", value, attrs)
    fast_html = FastSelect(choices=choices).render("owner", value, attrs)
    assert fast_html == django_html


@pytest.mark.django_db
def test_fast_select_on_a_model_choice_field(make_user):
    from salesflow.org.models import User

    make_user(username="a.rep")
    field = forms.ModelChoiceField(queryset=User.objects.all(), empty_label="请选择")
    slow = forms.ModelChoiceField(queryset=User.objects.all(), empty_label="请选择")
    field.widget = FastSelect(choices=field.choices)
    first = User.objects.first()
    assert field.widget.render("owner", first.pk, {"id": "id_owner"}) == (
        slow.widget.render("owner", first.pk, {"id": "id_owner"})
    )


@pytest.mark.parametrize(
    ("fast", "slow", "value", "attrs"),
    [
        (FastTextInput, forms.TextInput, None, None),
        (FastTextInput, forms.TextInput, "", {"placeholder": "公司名 / 电话"}),
        (FastTextInput, forms.TextInput, "<b>&", {"class": "form-control", "maxlength": 100}),
        (FastNumberInput, forms.NumberInput, 12.5, {"min": 0, "step": "0.01"}),
        (FastHiddenInput, forms.HiddenInput, "/leads/?a=1&b=2", None),
    ],
)
def test_fast_inputs_match_django(fast, slow, value, attrs):
    assert fast().render("q", value, attrs) == slow().render("q", value, attrs)


@pytest.mark.parametrize("value", [None, "", "第一行\n<script>&", True, False, "on"])
def test_fast_textarea_and_checkbox_match_django(value):
    from salesflow.core.widgets import FastCheckboxInput, FastTextarea

    attrs = {"class": "form-control", "id": "id_note"}
    slow = forms.Textarea(attrs={"rows": 2}).render("note", value, attrs)
    assert FastTextarea(attrs={"rows": 2}).render("note", value, attrs) == slow
    slow = forms.CheckboxInput().render("flag", value, attrs)
    assert FastCheckboxInput().render("flag", value, attrs) == slow


def test_fast_input_keeps_widget_attrs():
    fast = FastTextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})
    slow = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})
    assert fast.render("m", "2026-11", {"class": "x"}) == slow.render(
        "m", "2026-11", {"class": "x"}
    )


class _Filters(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False, choices=[("", "全部"), ("new", "新")])
    amount = forms.DecimalField(required=False, min_value=0, decimal_places=2)
    flag = forms.BooleanField(required=False)


def test_use_fast_widgets_keeps_the_form_markup():
    from salesflow.core.widgets import use_fast_widgets

    data = {"q": "苏州 <x>", "status": "new", "amount": "12.50", "flag": "on"}
    slow, fast = _Filters(data), use_fast_widgets(_Filters(data))
    assert isinstance(fast.fields["status"].widget, FastSelect)
    assert type(fast.fields["q"].widget) is not forms.TextInput
    for name in slow.fields:
        assert str(fast[name]) == str(slow[name])
    assert _Filters.base_fields["status"].widget.__class__ is forms.Select


@pytest.mark.django_db
def test_model_choices_read_with_one_query(make_user, django_assert_num_queries):
    from salesflow.core.widgets import use_fast_widgets
    from salesflow.org.models import User

    for n in range(3):
        make_user(username=f"rep{n}")

    class OwnerForm(forms.Form):
        owner = forms.ModelChoiceField(queryset=User.objects.order_by("id"), required=False)

    slow_html = str(OwnerForm({"owner": str(User.objects.last().pk)})["owner"])
    form = use_fast_widgets(OwnerForm({"owner": str(User.objects.last().pk)}))
    assert form.is_valid()  # validation reads the chosen row itself
    assert form.cleaned_data["owner"] == User.objects.last()
    with django_assert_num_queries(1):  # the choices: one plain query, not a cursor
        fast_html = str(form["owner"])
        assert str(form["owner"]) == fast_html  # rendered again: no query
    assert fast_html == slow_html
