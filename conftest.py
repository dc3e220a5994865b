"""Fixtures shared by every app's tests: users by role, and a browser."""

import os
import shutil
from importlib import import_module
from pathlib import Path

import pytest
from django.db.models.signals import post_migrate
from django.test import Client

from opticrm.lib.roles import optician_group, staff_group
from opticrm.tests import clock

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the tests make next to it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# --- Parallel runs -------------------------------------------------------

# `make test` runs the suite on two workers (pytest-xdist, --dist loadfile):
# one worker runs a module from start to end, so that its module-scoped data
# (chain_data: 50,000 customers) is loaded once.


@pytest.fixture
def one_collectstatic_at_a_time():
    """The benchmark and the fault run collect the static files into one
    folder for their gunicorn, and `check --deploy` reads them: on two
    workers, one waits for the other."""
    import fcntl

    lock = Path(__file__).resolve().parent / ".data" / "collectstatic.lock"
    lock.parent.mkdir(exist_ok=True)
    with lock.open("w") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


# --- Clock ---------------------------------------------------------------


# OPTICRM_TEST_TODAY=2027-06-01 moves the session's clock there (docs/testing.md),
# here: before the other conftests and the test modules derive dates from it.
clock.start()


def pytest_unconfigure(config):
    clock.stop()


def pytest_report_header(config):
    if clock.moved_to():
        return f"clock moved: {clock.VARIABLE}={os.environ[clock.VARIABLE]}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with PostgreSQL's clock moved as Python's is."""
    if clock.moved_to():
        from django.db import connection

        with django_db_blocker.unblock():
            clock.move_database_clock(connection)


@pytest.fixture(autouse=True)
def default_language(settings):
    """Each test starts in German, as a fresh request would; a test that
    switched to English must not leak it into the next."""
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def fresh_change_counters():
    """Live updates cache the change counters per process for half a second;
    a test starts from what its own database holds, not the last test's."""
    from live.selectors import forget_change_counters

    forget_change_counters()
    yield
    forget_change_counters()


@pytest.fixture(autouse=True)
def fresh_table_estimates():
    """Unfiltered tables reuse their row estimate per process; a test's
    tables hold what the test put there, not what the last test's held."""
    from opticrm.lib.pagination import forget_estimates

    forget_estimates()
    yield
    forget_estimates()


# Data migrations that fill reference tables the app relies on.
REFERENCE_DATA = [
    "customers.migrations.0002_seed_insurance_providers",
    "appointments.migrations.0002_seed_types_and_hours",
    "appointments.migrations.0008_appointmenttype_is_pickup",
    "messaging.migrations.0003_starting_templates",
    "messaging.migrations.0008_recall_cl_reorder_templates",
    "messaging.migrations.0010_invoice_templates",
]


def _reseed_reference_data(sender, **kwargs):
    """A transactional test empties every table when it ends, migrated
    reference data included, and its flush sends post_migrate: the data
    comes back at once, for whichever test the worker runs next (on two
    workers a plain test may follow a transactional one)."""
    if sender.label != "messaging":  # post_migrate comes once per app
        return
    from django.apps import apps

    for module in REFERENCE_DATA:
        import_module(module).seed(apps, None)


post_migrate.connect(_reseed_reference_data, dispatch_uid="opticrm-tests-reference-data")


@pytest.fixture
def password() -> str:
    return "correct horse battery staple"


@pytest.fixture
def owner(django_user_model, password):
    """The shop owner: superuser, everything allowed."""
    return django_user_model.objects.create_superuser(
        username="inhaber", password=password, first_name="Ines", last_name="Inhaber"
    )


@pytest.fixture
def staff(django_user_model, password):
    """Front desk: the shop's staff group (see opticrm.lib.roles)."""
    user = django_user_model.objects.create_user(
        username="empfang", password=password, first_name="Anna", last_name="Schmidt"
    )
    user.groups.add(staff_group())
    return user


@pytest.fixture
def optician(django_user_model, password):
    """An optician: the staff group plus prescriptions (health data)."""
    user = django_user_model.objects.create_user(
        username="optik", password=password, first_name="Otto", last_name="Optiker"
    )
    user.groups.add(staff_group(), optician_group())
    return user


def _signed_in(user) -> Client:
    """A browser of its own per role: a test asking for two roles gets two
    sessions, not the last login on one shared client."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def optician_client(optician):
    return _signed_in(optician)


@pytest.fixture
def outsider(django_user_model, password):
    """Logged in, but without any permission."""
    return django_user_model.objects.create_user(username="gast", password=password)


@pytest.fixture
def owner_client(owner):
    return _signed_in(owner)


@pytest.fixture
def staff_client(staff):
    return _signed_in(staff)


@pytest.fixture
def outsider_client(outsider):
    return _signed_in(outsider)


# --- Browser -------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright. Missing in CI is a failure."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI must install it.")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--lang=de-DE",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_context(browser):
    context = browser.new_context(
        locale="de-DE", timezone_id="Europe/Berlin", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


@pytest.fixture
def artifacts() -> Path:
    """Where browser tests save screenshots for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def logged_in_page(page, live_server, staff, password):
    """A page logged in as front-desk staff through the real login form."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # the start page (Heute)
    page.goto(f"{live_server.url}/customers/")
    return page


# --- Chain-scale data for the plan tests ---------------------------------------


@pytest.fixture(scope="module")
def chain_data(django_db_setup, django_db_blocker):
    """50,000 customers (with 100,000 appointments) and 20,000 products, loaded and
    analysed once for the tests of the module that asks for it (each runs
    in its own transaction on top) and removed at the module's end."""
    from django.db import connection

    from opticrm.bench.data import LOADED_TABLES, Sizes, load
    from opticrm.lib.pagination import forget_estimates

    with django_db_blocker.unblock():
        try:
            load(Sizes(customers=50_000, appointments=100_000, products=20_000))
            # The lists reuse a table's size estimate per process: one taken
            # by an earlier module of an empty table would make the lists
            # read every id (which module ran before depends on the worker).
            forget_estimates()
            yield
        finally:
            # Also after a failed load: no later test may meet these rows.
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(LOADED_TABLES)} CASCADE")
                cursor.execute("DELETE FROM auth_user WHERE username LIKE 'bench-%%'")
            forget_estimates()


@pytest.fixture
def chain_cap(monkeypatch):
    """The exact-count cap at the share it has of a chain's million customers
    (10,000 is 1 %): the planner's choices depend on such shares."""
    from opticrm.lib import pagination

    monkeypatch.setattr(pagination, "EXACT_UP_TO", 500)
