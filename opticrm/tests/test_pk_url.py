"""``{% pk_url %}``: the same URL as ``{% url %}``, reversed once per name."""

import pytest
from django.template import engines
from django.urls import reverse, set_script_prefix


@pytest.mark.parametrize(
    ("name", "pk"),
    [("customers:update", 7), ("appointments:update", 123456), ("prescriptions:card", 1)],
)
def test_pk_url_matches_url(name, pk):
    template = engines["django"].from_string("{% pk_url name pk %}")
    assert template.render({"name": name, "pk": pk}) == reverse(name, args=[pk])


def test_pk_url_follows_the_script_prefix():
    template = engines["django"].from_string("{% pk_url 'customers:detail' 5 %}")
    try:
        set_script_prefix("/filiale/")
        assert template.render({}) == "/filiale/customers/5/"
    finally:
        set_script_prefix("/")
