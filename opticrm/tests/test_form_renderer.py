"""The Python <select> is Django's own markup, byte for byte."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from customers.models import InsuranceProvider
from opticrm.lib.form_renderer import FormRenderer
from opticrm.lib.forms import LongSelect
from orders.forms import BoardFilterForm

CHOICES = [
    ("", "— alle —"),
    ("a&b", 'Müller & "Söhne" <GmbH>'),
    (3, 1234),
    ("Gruppe <1>", [("x", "Eins"), ("y", mark_safe("<b>Zwei</b>"))]),
]


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (forms.Select(choices=CHOICES), "a&b", {"id": "id_f", "required": True}),
        (forms.Select(choices=CHOICES), 3, {"disabled": False, "data-x": mark_safe("a&amp;b")}),
        (forms.SelectMultiple(choices=CHOICES), ["x", "y"], {"class": "wide"}),
        (forms.NullBooleanSelect(), None, None),
        (forms.Select(choices=[]), "", {"autocomplete": "off"}),
    ],
)
def test_the_python_select_matches_djangos_template(widget, value, attrs):
    expected = widget.render("feld", value, attrs, renderer=DjangoTemplates())
    assert widget.render("feld", value, attrs, renderer=FormRenderer()) == expected


@pytest.mark.django_db
def test_a_model_choice_select_matches_too():
    field = forms.ModelChoiceField(InsuranceProvider.objects.order_by("name"))
    provider = InsuranceProvider.objects.order_by("name").first()
    widget = field.widget
    widget.choices = field.choices
    expected = widget.render("insurance", provider.pk, {"id": "i"}, renderer=DjangoTemplates())
    assert widget.render("insurance", provider.pk, {"id": "i"}, renderer=FormRenderer()) == expected
    assert "selected>" in expected


def test_a_widget_with_its_own_option_template_keeps_it():
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = Custom(choices=[("a", "A")])
    expected = widget.render("f", "a", renderer=DjangoTemplates())
    assert widget.render("f", "a", renderer=FormRenderer()) == expected


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (forms.TextInput(), 'O\'Brien & "Söhne" <b>', {"id": "id_f", "required": True}),
        (forms.TextInput(), None, {"placeholder": "Name, E-Mail …", "disabled": False}),
        (forms.TextInput(), mark_safe("a&amp;b"), {"data-x": mark_safe("<i>")}),
        (forms.NumberInput(), 1234.5, {"step": "0.25", "min": -20}),
        (forms.DateInput(format="%Y-%m-%d"), "2026-11-23", {"autocomplete": "off"}),
        (forms.EmailInput(), "", None),
        (forms.HiddenInput(), 7, None),
        (forms.CheckboxInput(), True, {"id": "c"}),
        (forms.CheckboxInput(), False, None),
        (forms.PasswordInput(), "geheim", None),
        (forms.Textarea(), "Zeile 1\n<Zeile 2> & mehr", {"rows": 3}),
        (forms.Textarea(), mark_safe("<b>fett</b>"), None),
        (forms.Textarea(), "", {"cols": 40}),
    ],
)
def test_python_inputs_and_textareas_match_djangos_templates(widget, value, attrs):
    expected = widget.render("feld", value, attrs, renderer=DjangoTemplates())
    assert widget.render("feld", value, attrs, renderer=FormRenderer()) == expected


@pytest.mark.django_db
def test_a_whole_form_renders_the_same():
    from customers.forms import CustomerForm

    data = {"first_name": "Anna", "last_name": "<Müller>", "notes": "a\nb", "email": "x"}
    expected = CustomerForm(data=data, renderer=DjangoTemplates()).render()
    assert CustomerForm(data=data, renderer=FormRenderer()).render() == expected
    assert 'value="&lt;Müller&gt;"' in expected


def test_the_python_inputs_stand_for_templates_that_only_include_input_html():
    """After a Django upgrade: a widget template that starts doing more than
    the include must leave the list (its output would differ)."""
    from opticrm.lib import form_renderer

    engine = DjangoTemplates().engine
    for name in form_renderer.INPUTS - {form_renderer.WIDGETS + "input.html"}:
        source = engine.get_template(name).template.source.strip()
        assert source == '{% include "django/forms/widgets/input.html" %}', name


STAFF = [("", "alle"), (7, 'Anna "Nanni" Groß'), (12, "Ben & Jerry <Aushilfe>"), (120, "Zoë")]


@pytest.mark.parametrize(
    ("value", "attrs"),
    [(12, {"id": "id_staff"}), ("12", None), (None, {"id": "s", "required": True}), (99, {})],
)
def test_the_long_select_matches_djangos_template(value, attrs):
    expected = forms.Select(choices=STAFF).render("staff", value, attrs, renderer=DjangoTemplates())
    assert LongSelect(choices=STAFF).render("staff", value, attrs) == expected


@pytest.mark.django_db
def test_the_board_filter_writes_the_staff_list_as_a_long_select():
    form = BoardFilterForm({"staff": "7"})
    form.fields["staff"].choices = STAFF
    html = str(form["staff"])
    assert '<option value="7" selected>Anna &quot;Nanni&quot; Groß</option>' in html
    assert "Ben &amp; Jerry &lt;Aushilfe&gt;" in html
