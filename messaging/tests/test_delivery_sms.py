"""SMS: part counting, mobile numbers, sender names, and the gateways; seven.io
is played by a local HTTP server that records what it is sent."""

import io
import json
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from messaging import sms
from messaging.sms import GSM7, UCS2, parts, send_sms, sender_problem, to_e164
from messaging.tests.servers import API_KEY


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (GSM7, 0, 0)),
        ("Ihre Brille ist abholbereit.", (GSM7, 28, 1)),
        ("a" * 160, (GSM7, 160, 1)),
        ("a" * 161, (GSM7, 161, 2)),
        ("a" * 306, (GSM7, 306, 2)),
        ("a" * 307, (GSM7, 307, 3)),
        # German letters are GSM-7: ä, ö, ü, Ä, Ö, Ü, ß.
        ("Grüße äöüÄÖÜß" + "a" * 147, (GSM7, 160, 1)),
        # The extension table counts twice: €, [, ], {, }, \, ^, ~, |.
        ("€", (GSM7, 2, 1)),
        ("€" * 80, (GSM7, 160, 1)),
        ("a" * 159 + "€", (GSM7, 161, 2)),
        ("[]{}\\^~|", (GSM7, 16, 1)),
        # An extension character's two places stay in one part: 152 + 2 does not fit 153.
        ("a" * 152 + "€" + "a" * 152, (GSM7, 306, 3)),
        # Any other character switches the whole text to UCS-2: 70, or 67 per part.
        ("ł", (UCS2, 1, 1)),
        ("Małgorzata" + "a" * 60, (UCS2, 70, 1)),
        ("Małgorzata" + "a" * 61, (UCS2, 71, 2)),
        ("ł" * 134, (UCS2, 134, 2)),
        ("ł" * 135, (UCS2, 135, 3)),
        ("Termin morgen 🙂", (UCS2, 16, 1)),
        # An emoji is two UTF-16 units.
        ("🙂" * 35, (UCS2, 70, 1)),
        ("🙂" * 36, (UCS2, 72, 2)),
        ("a" * 69 + "🙂", (UCS2, 71, 2)),
        ("—", (UCS2, 1, 1)),
    ],
)
def test_parts(text, expected):
    assert parts(text) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("0151 23456789", "+4915123456789"),
        ("+49 171 1234567", "+491711234567"),
        ("+4915123456789", "+4915123456789"),
        ("0043 664 1234567", "+436641234567"),
    ],
)
def test_mobile_numbers_in_e164(phone, expected):
    assert to_e164(phone) == (expected, "")


def test_a_stored_phone_number_object_is_read_as_it_is():
    from phonenumber_field.phonenumber import PhoneNumber

    assert to_e164(PhoneNumber.from_string("0151 23456789", region="DE"))[0] == "+4915123456789"


def test_a_landline_is_refused_with_a_german_reason():
    assert to_e164("089 123456") == (
        "",
        "Das ist eine Festnetznummer; eine SMS kann nur an eine Mobilnummer gehen.",
    )


@pytest.mark.parametrize("phone", ["", None, "   ", "12", "keine Nummer", "+49 32 123456"])
def test_no_or_invalid_numbers_are_refused(phone):
    number, reason = to_e164(phone)
    assert number == ""
    assert reason


@pytest.mark.parametrize(
    ("sender", "ok"),
    [
        ("", True),
        ("Optik", True),
        ("Optik Mayer", True),
        ("Optik Mayers", False),
        ("Optik-ä", False),
    ],
)
def test_sender_names(sender, ok):
    assert (sender_problem(sender) == "") is ok


# --- seven.io, played by a local server ---------------------------------------


def test_seven_receives_key_number_text_and_sender(seven):
    result = send_sms(to="0151 23456789", text="Grüße: Ihre Brille ist abholbereit. 12,50 €")

    assert result.ok
    assert result.message_id == "77123"
    [request] = seven.requests
    assert request["path"] == "/api/sms"
    assert request["headers"]["X-Api-Key"] == API_KEY
    assert request["form"] == {
        "to": "+4915123456789",
        "text": "Grüße: Ihre Brille ist abholbereit. 12,50 €",
        "from": "OptikMayer",
    }


def test_seven_refusing_a_request_is_permanent_with_its_reason(seven, caplog):
    seven.answer = (400, "invalid parameter: to")

    with caplog.at_level(logging.WARNING):
        result = send_sms(to="+4915123456789", text="Termin morgen")

    assert result.permanent
    assert "400" in result.reason
    assert "invalid parameter: to" in result.reason
    assert API_KEY not in caplog.text


def test_seven_failing_is_transient(seven):
    seven.answer = (500, "internal error")

    result = send_sms(to="+4915123456789", text="Termin morgen")

    assert result.transient
    assert "500" in result.reason


def test_seven_not_answering_in_time_is_transient(seven, caplog):
    seven.answer = ("hang", None)

    with caplog.at_level(logging.WARNING):
        result = send_sms(to="+4915123456789", text="Termin morgen")

    assert result.transient
    assert result.reason == "Der SMS-Anbieter hat nicht rechtzeitig geantwortet."
    assert API_KEY not in caplog.text


def test_nothing_listening_is_transient(settings):
    from messaging.tests.servers import free_port

    settings.SMS_BACKEND = "messaging.sms.SevenBackend"
    settings.SMS_OPTIONS = {"API_KEY": API_KEY, "API_URL": f"http://127.0.0.1:{free_port()}/api"}

    assert send_sms(to="+4915123456789", text="Termin", sender="").transient


@pytest.mark.parametrize(
    ("answer", "transient"),
    [({"success": "202"}, False), ({"success": "900"}, False), ({"success": "600"}, True)],
)
def test_seven_error_codes_in_a_200_answer(seven, answer, transient):
    seven.answer = (200, answer)

    result = send_sms(to="+4915123456789", text="Termin morgen")

    assert not result.ok
    assert result.transient is transient
    assert result.reason


def test_a_bare_code_answer_is_understood(seven):
    seven.answer = (200, "100")

    assert send_sms(to="+4915123456789", text="Termin morgen").ok


def test_no_request_for_a_landline_an_empty_text_or_a_long_sender(seven):
    assert send_sms(to="089 123456", text="Termin").permanent
    assert send_sms(to="+4915123456789", text="  ").permanent
    assert send_sms(to="+4915123456789", text="Termin", sender="Augenoptik Mayer").permanent
    assert seven.requests == []


def test_seven_needs_a_key_and_https_beyond_this_machine():
    with pytest.raises(ImproperlyConfigured):
        sms.SevenBackend({"API_KEY": ""})
    with pytest.raises(ImproperlyConfigured):
        sms.SevenBackend({"API_KEY": API_KEY, "API_URL": "http://gateway.example.de/api"})
    assert sms.SevenBackend({"API_KEY": API_KEY}).api_url == "https://gateway.seven.io/api"


def test_a_misconfigured_gateway_is_a_permanent_failure(settings):
    settings.SMS_BACKEND = "messaging.sms.SevenBackend"
    settings.SMS_OPTIONS = {"API_KEY": ""}

    assert send_sms(to="+4915123456789", text="Termin").permanent


# --- Development and unconfigured gateways ------------------------------------


def test_the_file_backend_writes_one_json_file_per_sms(settings, tmp_path):
    settings.SMS_BACKEND = "messaging.sms.FileBackend"
    settings.SMS_OPTIONS = {"FILE_PATH": str(tmp_path / "sms")}

    result = send_sms(to="0151 23456789", text="Hallo 🙂", sender="Optik")

    assert result.ok
    [path] = (tmp_path / "sms").iterdir()
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["id"] == result.message_id
    assert record["to"] == "+4915123456789"
    assert record["from"] == "Optik"
    assert record["text"] == "Hallo 🙂"
    assert (record["encoding"], record["characters"], record["parts"]) == (UCS2, 8, 1)


def test_the_console_backend_prints(settings):
    stream = io.StringIO()
    backend = sms.ConsoleBackend({}, stream=stream)

    assert backend.send(to="+4915123456789", text="Termin morgen", sender="Optik").ok
    assert "+4915123456789" in stream.getvalue()
    assert "Termin morgen" in stream.getvalue()


def test_production_without_a_gateway_sends_nothing_and_says_why(settings):
    settings.SMS_BACKEND = "messaging.sms.UnconfiguredBackend"

    result = send_sms(to="+4915123456789", text="Termin")

    assert result.permanent
    assert "SMS_BACKEND" in result.reason
