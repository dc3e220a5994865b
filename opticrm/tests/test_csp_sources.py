"""What the Content-Security-Policy would block, found in the sources before
a browser meets it: inline event handlers, inline scripts and styles, and
htmx attributes that need eval (hx-on, js: values, trigger filters)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    path
    for pattern in ("templates/**/*.html", "*/forms.py", "*/templatetags/*.py", "opticrm/lib/*.py")
    for path in ROOT.glob(pattern)
    if ".venv" not in path.parts
]
FORBIDDEN = {
    "inline event handler": re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE),
    "hx-on (eval)": re.compile(r"hx-on"),
    "js: value (eval)": re.compile(r"""["']js:"""),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    # A filter is JavaScript (===, &&, calls); a CSS [type=checkbox] is not.
    "trigger filter (eval)": re.compile(r"""hx-trigger="[^"]*\[[^\]]*(==|&&|\|\||\()"""),
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>"),
    "inline style element": re.compile(r"<style"),
}


def test_sources_are_found():
    assert len(SOURCES) > 30


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_nothing_the_content_security_policy_blocks(path):
    text = path.read_text()
    found = [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert found == []
