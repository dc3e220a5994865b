"""The Python <select> is Django's own markup, byte for byte."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from customers.models import InsuranceProvider
from opticrm.lib.form_renderer import FormRenderer

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
