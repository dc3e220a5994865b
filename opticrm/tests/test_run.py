"""`make run` (opticrm.run) without serving: what it prepares."""

import sys

import pytest

from opticrm import run


@pytest.fixture
def steps(monkeypatch):
    """The manage.py steps run.main would take; serving ends at once."""
    taken = []

    def manage(*args):
        taken.append(args[0])
        if args[0] == "runserver":
            raise KeyboardInterrupt

    monkeypatch.setattr(run, "manage", manage)
    monkeypatch.setattr(run.embedded_db, "stop", lambda: None)
    monkeypatch.setattr(run.signal, "signal", lambda *args: None)  # pytest keeps its own
    monkeypatch.setattr(sys, "argv", ["run"])
    monkeypatch.setenv("DEBUG", "false")  # as the tests run; run.py only sets a default
    for name in ("DATABASE_URL", *run.DEMO_SHOP):
        monkeypatch.delenv(name, raising=False)
    return taken


def test_the_demo_shop_is_named_for_the_brillenpass(steps):
    assert run.main() == 0
    assert steps == ["migrate", "seed_demo", "runserver"]
    import os

    assert os.environ["SHOP_NAME"] == "Augenoptik Sonnenschein"
    assert os.environ["SHOP_ADDRESS"] == "Marienplatz 1, 80331 München"


def test_a_shop_named_by_the_operator_stays(steps, monkeypatch):
    monkeypatch.setenv("SHOP_NAME", "Optik Müller")
    run.main()
    import os

    assert os.environ["SHOP_NAME"] == "Optik Müller"
