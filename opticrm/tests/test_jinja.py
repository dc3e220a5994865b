"""The Jinja2 environment of the hot partials (opticrm.lib.jinja): German
dates as Django's filter writes them, URLs, escaping, and loud typos."""

import datetime
import zoneinfo

import pytest
from django.template import engines
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import UndefinedError

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def render(source: str, **context) -> str:
    return engines["jinja2"].from_string(source).render(context)


def test_dates_and_times_as_the_date_filter_writes_them():
    moment = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC)
    # In Berlin that is already the new year.
    assert render("{{ m|date('d.m.Y H:i') }}", m=moment) == "01.01.2027 00:30"
    assert render("{{ m|date('c') }}", m=moment) == "2027-01-01T00:30:00+01:00"
    assert render("{{ d|date('d.m.Y') }}", d=datetime.date(2026, 3, 5)) == "05.03.2026"
    assert render("{{ d|date('d.m.Y') }}", d=None) == ""
    with translation.override("de"):
        assert render("{{ d|date('l') }}", d=datetime.date(2026, 12, 7)) == "Montag"


def test_text_is_translated_and_escaped():
    with translation.override("de"):
        text = render('{{ _("Show all") }}: {{ name }}', name="<b>&</b>")
    assert text == "Alle anzeigen: &lt;b&gt;&amp;&lt;/b&gt;"


@pytest.mark.urls("opticrm.urls")
def test_urls():
    assert render("{{ url('customers:list') }}") == "/customers/"
    assert render("{{ pk_url('customers:detail', 12) }}") == "/customers/12/"


def test_a_misspelt_name_fails_instead_of_rendering_nothing():
    with pytest.raises(UndefinedError):
        render("{{ tile.cuont }}", tile={})


def test_money_as_the_templates_write_it():
    from decimal import Decimal

    with translation.override("de"):
        assert render("{{ a|money }}", a=Decimal("1234.5")) == "1.234,50\u00a0€"
        assert render("{{ a|money }}", a=Decimal("-0.05")) == "-0,05\u00a0€"
        assert render("{{ a|money }}", a=None) == "—"


@settings(max_examples=300, deadline=None)
@given(
    amount=st.decimals(min_value=-10_000_000, max_value=10_000_000, allow_nan=False, places=4)
    | st.integers(min_value=-(10**9), max_value=10**9),
    language=st.sampled_from(["de", "en"]),
)
def test_money_writes_what_floatformat_writes(amount, language):
    """display.money writes amounts itself (a page of invoices has sixty);
    it must write exactly what Django's floatformat "2g" does, rounding
    half up, grouping by the language's separators, no sign on a zero."""
    from django.template.defaultfilters import floatformat

    from opticrm.lib import display

    with translation.override(language):
        assert display.money(amount) == f"{floatformat(amount, '2g')}\u00a0€"


def test_the_jinja_tag_renders_a_partial_with_the_django_templates_context():
    from django.template import engines as all_engines

    page = all_engines["django"].from_string(
        '{% jinja "invoices/_list_rows.html" %}',
    )
    with translation.override("de"):
        html = page.render({"rows": [], "filtered": True, "state_labels": {}})
        empty = translation.gettext("No invoice matches.")
    assert empty != "No invoice matches."
    assert f'<tr><td colspan="6" class="empty-row muted">{empty}</td></tr>' in html


def test_a_format_settings_name_and_file_sizes_as_django_writes_them():
    with translation.override("de"):
        assert render("{{ d|date('SHORT_DATE_FORMAT') }}", d=datetime.date(2026, 3, 5)) == (
            "05.03.2026"
        )
        assert render("{{ n|filesize }}", n=12_700) == "12,4\u00a0KB"


def test_floatformat_as_django_writes_it():
    from decimal import Decimal

    with translation.override("de"):
        assert render("{{ v|floatformat(1) }}", v=Decimal("12")) == "12,0"
        assert render("{{ v|floatformat(1) }}", v=Decimal("13.75")) == "13,8"


def test_berlin_time_for_what_a_format_cannot_say():
    # 23:30 UTC on a Sunday is already Monday in Berlin.
    moment = datetime.datetime(2026, 12, 6, 23, 30, tzinfo=datetime.UTC)
    assert render("{{ (m|berlin).weekday() }}", m=moment) == "0"
    assert render("{{ (m|berlin).tzinfo }}", m=moment) == "Europe/Berlin"


def test_choice_is_get_display_translated_once_per_language():
    from messaging.models import Consent

    consent = Consent(channel="sms", purpose="marketing", method="unknown")
    with translation.override("de"):
        assert render('{{ c|choice("channel") }}', c=consent) == consent.get_channel_display()
        assert render('{{ c|choice("purpose") }}', c=consent) == "Recall und Werbung"
        # A value without a label is shown as it is, as Django does.
        assert render('{{ c|choice("method") }}', c=consent) == "unknown"
    with translation.override("en"):
        assert render('{{ c|choice("purpose") }}', c=consent) == "Recall and advertising"


def test_phone_link_as_the_template_filter_writes_it():
    from django.template import engines as all_engines

    django_link = all_engines["django"].from_string("{{ n|phone_link }}")
    for number in ("+49 89 1234567", "0171 2345678", ""):
        assert render("{{ n|phone_link }}", n=number) == django_link.render({"n": number})
    link = render("{{ n|phone_link }}", n="+49 89 1234567")
    assert link.startswith('<a href="tel:+49891234567">')
    assert render('{{ n|phone_link or "—" }}', n="") == "—"
