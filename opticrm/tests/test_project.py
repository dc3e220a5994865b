"""Project-wide guarantees: migrations, translations, deployment settings."""

import gettext
import os
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PO_FILE = BASE_DIR / "locale" / "de" / "LC_MESSAGES" / "django.po"


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_german_translation_is_complete():
    catalog = polib.pofile(str(PO_FILE))
    assert not catalog.untranslated_entries(), [e.msgid for e in catalog.untranslated_entries()]
    assert not catalog.fuzzy_entries(), [e.msgid for e in catalog.fuzzy_entries()]


def test_compiled_translation_matches_source():
    catalog = polib.pofile(str(PO_FILE))
    with open(PO_FILE.with_suffix(".mo"), "rb") as compiled_file:
        compiled = gettext.GNUTranslations(compiled_file)
    for entry in catalog.translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 5) == entry.msgstr_plural[1]
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


# What `make messages` (Django's makemessages) extracts: these functions,
# their plural and context arguments, in Python and in templates.
KEYWORDS = {
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "_": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


def _source_files():
    apps = [path for path in BASE_DIR.iterdir() if (path / "__init__.py").exists()]
    for app in apps:
        for path in app.rglob("*"):
            parts = set(path.relative_to(BASE_DIR).parts)
            if path.suffix in {".py", ".html", ".txt"} and not {"tests", "migrations"} & parts:
                yield path
    for path in (BASE_DIR / "templates").rglob("*"):
        if path.suffix in {".html", ".txt"}:
            yield path


def _extracted_messages():
    """(context, msgid, where) of every string makemessages would put in the
    catalog: {% translate %}, {% blocktranslate %} with plurals and context,
    ngettext, pgettext and multi-line calls included."""
    import io

    from babel.messages.extract import extract
    from django.utils.translation.template import templatize

    for path in _source_files():
        text = path.read_text()
        if path.suffix != ".py":
            if "{%" not in text:
                continue
            # Django turns a template into the code xgettext reads, as makemessages does.
            text = templatize(text, origin=str(path))
            # Indentation is markup there, not Python's.
            text = "\n".join(line.lstrip() for line in text.splitlines())
        found = extract(
            "python", io.BytesIO(text.encode()), keywords=KEYWORDS, options={"encoding": "utf-8"}
        )
        for _lineno, message, _comments, context in found:
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                yield context or "", msgid, str(path.relative_to(BASE_DIR))


def test_every_string_the_code_marks_is_translated():
    """A string added without running `make messages`, or left untranslated
    or fuzzy there, would show in English: it fails here."""
    translated = {
        (entry.msgctxt or "", entry.msgid)
        for entry in polib.pofile(str(PO_FILE)).translated_entries()
    }
    missing = {
        (context, msgid): where
        for context, msgid, where in _extracted_messages()
        if (context, msgid) not in translated
    }
    assert not missing


def test_the_extraction_sees_what_makemessages_sees():
    """The check above is only as good as its extraction: it finds the
    forms a regular expression missed (issue 24)."""
    messages = {(context, msgid) for context, msgid, _where in _extracted_messages()}
    assert ("", "Change log") in messages  # {% translate %} in a template
    assert ("", "%(counter)s entry") in messages  # blocktranslate with a plural
    assert ("optics", "Add") in messages  # pgettext with a context
    assert ("", "Menu") in messages  # a new {% translate %} in the top bar
    assert ("", "Recalls due this week") in messages  # {{ _("…") }} in a Jinja2 partial


def test_jinja2_partials_mark_text_only_as_makemessages_reads_it():
    """makemessages reads a Jinja2 file as a Django template: it finds
    ``{{ _("…") }}`` (with filters), not Jinja's ``{% trans %}`` blocks nor
    ``_("…", name=…)`` or ngettext calls, which would stay English unseen."""
    import re

    unseen = re.compile(r"\{%-?\s*trans\b|\bngettext\(|\b_\(\s*(\"[^\"]*\"|'[^']*')\s*,")
    offending = [
        str(path.relative_to(BASE_DIR))
        for path in (BASE_DIR / "templates" / "jinja2").rglob("*.html")
        if unseen.search(path.read_text())
    ]
    assert not offending


def test_every_python_string_is_in_the_catalog():
    """A gettext() call that `make messages` does not see (xgettext skips
    calls inside f-strings) would stay English; its string is missing here."""
    import re

    known = {entry.msgid for entry in polib.pofile(str(PO_FILE))}
    pattern = re.compile(r"""\b(?:gettext|gettext_lazy|_)\(\s*(?:"([^"\\]+)"|'([^'\\]+)')\s*[,)]""")
    missing = {}
    apps = [path for path in BASE_DIR.iterdir() if (path / "__init__.py").exists()]
    for path in (source for app in apps for source in app.rglob("*.py")):
        if {"tests", "migrations"} & set(path.relative_to(BASE_DIR).parts):
            continue
        for found in pattern.finditer(path.read_text()):
            text = found.group(1) or found.group(2)
            if text not in known:
                missing[text] = str(path.relative_to(BASE_DIR))
    assert not missing


def test_german_is_default_with_berlin_time(settings):
    assert settings.LANGUAGE_CODE == "de"
    assert settings.TIME_ZONE == "Europe/Berlin"
    from django.utils import formats, translation

    with translation.override("de"):
        import datetime

        assert formats.date_format(datetime.date(2026, 11, 23), "SHORT_DATE_FORMAT") == "23.11.2026"
        assert formats.number_format(1234.56, 2, use_l10n=True, force_grouping=True) == "1.234,56"


def test_check_deploy_is_clean_with_production_settings(one_collectstatic_at_a_time):
    # It reads the collected static files: collected here (on a fresh
    # clone no other test may have run collectstatic before this one).
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opticrm.settings",
        "DEBUG": "false",
        "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "crm.example.de",
    }
    for test_only in ("SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE", "TEST_DATABASE_NAME"):
        env.pop(test_only, None)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=BASE_DIR, env=env, check=True, timeout=120,
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "opticrm.settings", "DEBUG": "false"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_each_role_has_a_browser_of_its_own(owner_client, staff_client, client):
    """Asking for two roles gives two sessions, not the last login twice."""
    assert owner_client is not staff_client and client not in (owner_client, staff_client)
    owner_page = owner_client.get("/customers/")
    staff_page = staff_client.get("/customers/")
    assert owner_page.wsgi_request.user.username != staff_page.wsgi_request.user.username
    assert client.get("/customers/").status_code == 302  # the plain client is signed out
