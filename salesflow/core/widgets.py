"""Form widgets that render their HTML in Python instead of through the form renderer's
templates, for the filter bars and bulk-action forms of the big list pages.

Django renders a ``<select>`` as one sub-template per ``<option>``; with an owner list of 40
people and a few reference lists, that is hundreds of template renders on every list page.
``FastSelect``, the ``Fast…Input`` classes and ``FastTextarea`` produce the very same markup as
Django's ``django/forms/widgets/*.html`` (same attributes, same escaping, same selected option
or checked box, computed by the same ``get_context``), only without the templates.
"""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe


def render_attrs(attrs: dict) -> str:
    """`` name="value"`` pairs like ``django/forms/widgets/attrs.html``: ``True`` → bare
    attribute, ``False`` → left out, anything else → ``str(value)`` escaped."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), render_attrs(widget["attrs"])]
        parts.append(">")
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',  # the option template ends a line
                        str(option["value"]),
                        mark_safe(render_attrs(option["attrs"])),
                        option["label"],
                    )
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))


class FastInputMixin:
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = format_html('<input type="{}" name="{}"', widget["type"], widget["name"])
        if widget["value"] is not None:
            html += format_html(' value="{}"', str(widget["value"]))
        return mark_safe(html + render_attrs(widget["attrs"]) + ">")


class FastTextInput(FastInputMixin, forms.TextInput):
    pass


class FastNumberInput(FastInputMixin, forms.NumberInput):
    pass


class FastHiddenInput(FastInputMixin, forms.HiddenInput):
    pass


class FastCheckboxInput(FastInputMixin, forms.CheckboxInput):
    pass


class FastTextarea(forms.Textarea):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = format_html('<textarea name="{}"', widget["name"]) + render_attrs(widget["attrs"])
        body = conditional_escape(widget["value"]) if widget["value"] else ""
        return mark_safe(f"{html}>\n{body}</textarea>")


FAST_WIDGETS = {
    forms.Select: FastSelect,
    forms.TextInput: FastTextInput,
    forms.NumberInput: FastNumberInput,
    forms.HiddenInput: FastHiddenInput,
    forms.CheckboxInput: FastCheckboxInput,
    forms.Textarea: FastTextarea,
}


class ListModelChoiceIterator(ModelChoiceIterator):
    """Reads the choices with one plain query. Django's iterator uses ``queryset.iterator()``,
    which on PostgreSQL is a server-side cursor: DECLARE, FETCH and CLOSE, three round trips
    for a list of 30 people — and again each time the widget iterates its choices."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if getattr(self, "_rows", None) is None:
            self._rows = list(self.queryset)  # read once, however often the widget iterates
        for obj in self._rows:
            yield self.choice(obj)


def use_fast_widgets(form: forms.BaseForm) -> forms.BaseForm:
    """Switch the plain ``Select`` / text / number / hidden widgets of a form instance to the
    Python-rendered ones (same markup), and model choices to one plain query. Call it at the
    end of the form's ``__init__``, after the choices are set; widgets of any other class (or
    a subclass) are left alone."""
    for field in form.fields.values():
        fast = FAST_WIDGETS.get(type(field.widget))
        if fast is not None:
            field.widget.__class__ = fast  # a subclass without state of its own
        if isinstance(field, forms.ModelChoiceField) and field.iterator is ModelChoiceIterator:
            field.iterator = ListModelChoiceIterator
            field.widget.choices = field.choices
    return form
