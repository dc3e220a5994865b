"""Every app's tests run in `make test`: pytest collects only the folders
listed in pyproject's testpaths, and an app added without its entry would
have its tests silently left out (privacy's were, for a session)."""

import tomllib
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def test_every_folder_with_tests_is_collected():
    config = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
    collected = set(config["tool"]["pytest"]["ini_options"]["testpaths"])
    with_tests = {
        path.parent.parent.name
        for path in BASE_DIR.glob("*/tests/__init__.py")
        if not path.parent.parent.name.startswith(".")
    }
    assert {"customers", "privacy", "imports"} <= with_tests
    assert with_tests - collected == set()
