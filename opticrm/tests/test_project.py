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


def test_every_template_string_is_in_the_catalog():
    """A {% translate %} added without running `make messages` fails here."""
    import re

    known = {entry.msgid for entry in polib.pofile(str(PO_FILE))}
    pattern = re.compile(r'{%\s*translate\s+"([^"]+)"')
    missing = set()
    for template in (BASE_DIR / "templates").rglob("*.html"):
        missing |= set(pattern.findall(template.read_text())) - known
    assert not missing


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


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opticrm.settings",
        "DEBUG": "false",
        "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "crm.example.de",
    }
    for test_only in ("SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE", "TEST_DATABASE_NAME"):
        env.pop(test_only, None)
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
