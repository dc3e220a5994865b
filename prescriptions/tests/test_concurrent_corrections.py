"""Two opticians correct the same refraction (or contact lens fitting) at the
same time: exactly one correction wins, the other is refused with a German
message (no error page, no database error text), and the record's history
stays one chain: no version superseded twice, one current version.

Real concurrency: each correction runs in a thread with a database
connection of its own, in transactions that commit (transaction=True)."""

import datetime
import re
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from customers.tests import factories as customer_factories
from opticrm.lib.roles import optician_group, staff_group
from prescriptions import services
from prescriptions.models import ContactLensFitting, Refraction
from prescriptions.tests.factories import refraction_data

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}
REFUSED = "Dieser Eintrag wurde zwischenzeitlich von jemand anderem korrigiert"
DATABASE_ERROR_TEXTS = ("IntegrityError", "duplicate key", "violates", "Traceback", "Fehler beim")
KINDS = ["refraction", "fitting"]
MODELS = {"refraction": Refraction, "fitting": ContactLensFitting}
SAVED_EVENTS = {"refraction": "refractionSaved", "fitting": "fittingSaved"}
# The right sphere each of the two opticians corrects to: plausible values,
# so that neither is held up by a question about unusual values.
SPHERES = {"refraction": ("1.75", "1.50"), "fitting": ("-2.75", "-2.00")}


def a_month_ago() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=30)


@pytest.fixture
def customer():
    return customer_factories.customer(
        first_name="Jürgen", last_name="Weiß", date_of_birth=datetime.date(1962, 4, 3)
    )


@pytest.fixture
def colleague(django_user_model, password):
    """A second optician, at the next workstation."""
    user = django_user_model.objects.create_user(
        username="optik2", password=password, first_name="Olga", last_name="Optikerin"
    )
    user.groups.add(staff_group(), optician_group())
    return user


def fitting_data(examiner, **values) -> dict:
    data = {
        "date": a_month_ago(),
        "examiner": examiner,
        "right_base_curve": Decimal("8.6"),
        "right_diameter": Decimal("14.2"),
        "right_sphere": Decimal("-2.25"),
        "right_replacement": "monthly",
        "left_base_curve": Decimal("8.6"),
        "left_diameter": Decimal("14.2"),
        "left_sphere": Decimal("-2.5"),
        "left_replacement": "monthly",
    }
    data.update(values)
    return data


def record(kind: str, customer, examiner):
    if kind == "refraction":
        data = refraction_data(examiner, date=a_month_ago())
        return services.refraction_record(customer_id=customer.pk, data=data, user=examiner)
    data = fitting_data(examiner)
    return services.fitting_record(customer_id=customer.pk, data=data, user=examiner)


def correct(kind: str, record_id: int, user, sphere: str):
    """A correction of the right sphere by ``user``, as the modal saves it."""
    if kind == "refraction":
        data = refraction_data(user, date=a_month_ago(), right_sphere=Decimal(sphere))
        return services.refraction_correct(refraction_id=record_id, data=data, user=user)
    data = fitting_data(user, right_sphere=Decimal(sphere))
    return services.fitting_correct(fitting_id=record_id, data=data, user=user)


def form_data(kind: str, examiner, sphere: str) -> dict:
    """What the correction modal posts, typed as people type it."""
    day = a_month_ago().strftime("%d.%m.%Y")
    if kind == "refraction":
        return {
            "date": day,
            "kind": "subjective",
            "examiner": str(examiner.pk),
            "right_sphere": sphere.replace(".", ","),
            "right_cylinder": "-0,50",
            "right_axis": "90",
            "left_sphere": "1,00",
            "right_pd": "31,5",
            "left_pd": "32",
        }
    return {
        "date": day,
        "examiner": str(examiner.pk),
        "right_base_curve": "8,6",
        "right_diameter": "14,2",
        "right_sphere": sphere.replace(".", ","),
        "right_replacement": "monthly",
        "left_base_curve": "8,6",
        "left_diameter": "14,2",
        "left_sphere": "-2,50",
        "left_replacement": "monthly",
    }


def correct_url(kind: str, pk: int) -> str:
    return f"/prescriptions/{'refractions' if kind == 'refraction' else 'fittings'}/{pk}/correct/"


def assert_single_chain(kind: str, customer, length: int):
    """The customer's records of this kind form one chain of ``length``
    versions from the first to the one current version; returns that one."""
    records = {r.pk: r for r in MODELS[kind].objects.filter(customer=customer)}
    assert len(records) == length
    current = [r for r in records.values() if r.superseded_at is None]
    assert len(current) == 1, f"{len(current)} current versions"
    replaced = [r.replaces_id for r in records.values() if r.replaces_id is not None]
    assert len(replaced) == len(set(replaced)), "a version was superseded twice"
    superseded = {pk for pk, r in records.items() if r.superseded_at is not None}
    assert set(replaced) == superseded, "superseded without successor, or the other way round"
    chain, step = [], current[0]
    while step is not None:
        chain.append(step.pk)
        step = records.get(step.replaces_id)
    assert sorted(chain) == sorted(records), "the versions do not form one chain"
    return current[0]


def wait_until_blocked(backend: int) -> None:
    """Wait until the database connection ``backend`` waits for a lock this
    connection holds (an event, not a fixed time)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (ours,) = cursor.fetchone()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_blocking_pids(%s)", [backend])
            (blockers,) = cursor.fetchone()
            if ours in blockers:
                return
            time.sleep(0.01)
    pytest.fail("the second correction never waited for the first one's lock")


class Later(threading.Thread):
    """``action`` on a connection of its own once ``go`` is set; its result
    or exception in ``outcome``, its database backend in ``backend``."""

    def __init__(self, action):
        super().__init__()
        self.action = action
        self.go = threading.Event()
        self.connected = threading.Event()
        self.backend: int | None = None
        self.outcome = None

    def run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                (self.backend,) = cursor.fetchone()
            self.connected.set()
            self.go.wait(timeout=30)
            self.outcome = self.action()
        except Exception as error:  # noqa: BLE001 - the test asserts what it was
            self.outcome = error
        finally:
            self.connected.set()
            connection.close()


# --- The service: one wins, the other is refused -------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_correction_waiting_for_anothers_lock_is_refused_once_that_one_commits(
    kind, customer, optician, colleague
):
    """Both opened the same version; the colleague saves while the first
    correction is still being written. The colleague's save waits for it and
    is then refused: it would have superseded the version a second time."""
    original = record(kind, customer, optician)
    mine, theirs = SPHERES[kind]
    second = Later(lambda: correct(kind, original.pk, colleague, theirs))
    second.start()
    assert second.connected.wait(timeout=30) and second.backend is not None
    with transaction.atomic():
        winner = correct(kind, original.pk, optician, mine)
        second.go.set()
        wait_until_blocked(second.backend)
    second.join(timeout=30)
    assert not second.is_alive()

    refusal = second.outcome
    assert isinstance(refusal, ValidationError), repr(refusal)
    assert refusal.code == "superseded"
    assert REFUSED in refusal.messages[0]
    current = assert_single_chain(kind, customer, length=2)
    assert current.pk == winner.pk and current.right_sphere == Decimal(mine)
    original.refresh_from_db()
    assert original.superseded_by == optician and winner.replaces_id == original.pk


@pytest.mark.parametrize("kind", KINDS)
def test_corrections_at_the_same_moment_let_exactly_one_win_every_time(
    kind, customer, optician, colleague
):
    """Round after round both correct the current version at once, as fast as
    two threads can: whoever comes first wins, the other is refused, and
    the chain grows by exactly one version per round."""
    rounds = 6
    current = record(kind, customer, optician)
    mine, theirs = SPHERES[kind]
    for number in range(rounds):
        barrier = threading.Barrier(2)
        outcomes: dict[str, object] = {}
        threads = [
            threading.Thread(target=race, args=(barrier, outcomes, kind, current.pk, user, sphere))
            for user, sphere in ((optician, mine), (colleague, theirs))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)

        saved = [o for o in outcomes.values() if isinstance(o, MODELS[kind])]
        refused = [o for o in outcomes.values() if not isinstance(o, MODELS[kind])]
        assert len(saved) == 1 and len(refused) == 1, outcomes
        assert isinstance(refused[0], ValidationError), repr(refused[0])
        assert refused[0].code == "superseded" and REFUSED in refused[0].messages[0]
        current = assert_single_chain(kind, customer, length=number + 2)
        assert current.pk == saved[0].pk and current.replaces_id is not None


def race(barrier, outcomes: dict, kind: str, record_id: int, user, sphere: str) -> None:
    """One of two corrections started at the same moment."""
    try:
        barrier.wait(timeout=30)
        outcomes[user.username] = correct(kind, record_id, user, sphere)
    except Exception as error:  # noqa: BLE001 - the test asserts what it was
        outcomes[user.username] = error
    finally:
        connection.close()


# --- Through the modal: a readable German message, never an error page ------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("kind", KINDS)
def test_the_second_correction_of_a_corrected_version_gets_a_german_message(
    kind, customer, optician, colleague
):
    """The colleague opened the correction form, someone else corrected the
    record meanwhile; saving the form then says so in German, keeps what
    was typed, and changes nothing."""
    original = record(kind, customer, optician)
    mine, theirs = SPHERES[kind]
    url = correct_url(kind, original.pk)
    first, second = signed_in(optician), signed_in(colleague)
    assert first.get(url, **HTMX).status_code == 200
    assert second.get(url, **HTMX).status_code == 200

    saved = first.post(url, form_data(kind, optician, mine), **HTMX)
    assert SAVED_EVENTS[kind] in saved["HX-Trigger"]
    late = second.post(url, form_data(kind, colleague, theirs), **HTMX)
    body = late.content.decode()
    assert late.status_code == 200 and "HX-Trigger" not in late
    assert REFUSED in body and "bitte die neueste Fassung korrigieren" in body
    assert not any(text in body for text in DATABASE_ERROR_TEXTS)
    typed = theirs.lstrip("-").replace(".", ",")
    assert re.search(f'name="right_sphere" value="[+−]{typed}"', body)  # kept for the next try
    current = assert_single_chain(kind, customer, length=2)
    assert current.right_sphere == Decimal(mine)

    # Without htmx the same: the form again with the message, no redirect.
    plain = second.post(url, form_data(kind, colleague, theirs))
    assert plain.status_code == 200 and REFUSED in plain.content.decode()
    assert_single_chain(kind, customer, length=2)


@pytest.mark.parametrize("kind", KINDS)
def test_a_save_through_the_modal_that_waits_for_another_correction_gets_the_message(
    kind, customer, optician, colleague
):
    """The colleague's save arrives while another correction is still being
    written: the request waits for it, then answers with the German
    message, not an error page."""
    original = record(kind, customer, optician)
    mine, theirs = SPHERES[kind]
    url = correct_url(kind, original.pk)
    browser = signed_in(colleague)
    assert browser.get(url, **HTMX).status_code == 200
    second = Later(lambda: browser.post(url, form_data(kind, colleague, theirs), **HTMX))
    second.start()
    assert second.connected.wait(timeout=30) and second.backend is not None
    with transaction.atomic():
        correct(kind, original.pk, optician, mine)
        second.go.set()
        wait_until_blocked(second.backend)
    second.join(timeout=30)
    assert not second.is_alive()

    response = second.outcome
    assert not isinstance(response, Exception), repr(response)
    body = response.content.decode()
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert REFUSED in body
    assert not any(text in body for text in DATABASE_ERROR_TEXTS)
    current = assert_single_chain(kind, customer, length=2)
    assert current.right_sphere == Decimal(mine)


@pytest.mark.parametrize("kind", KINDS)
def test_two_saves_through_the_modal_at_once_save_one_and_tell_the_other(
    kind, customer, optician, colleague
):
    original = record(kind, customer, optician)
    mine, theirs = SPHERES[kind]
    url = correct_url(kind, original.pk)
    clients = {"optik": signed_in(optician), "optik2": signed_in(colleague)}
    for client in clients.values():
        assert client.get(url, **HTMX).status_code == 200
    barrier = threading.Barrier(2)
    responses: dict[str, object] = {}

    def save(username: str, examiner, sphere: str) -> None:
        try:
            barrier.wait(timeout=30)
            responses[username] = clients[username].post(
                url, form_data(kind, examiner, sphere), **HTMX
            )
        except Exception as error:  # noqa: BLE001 - asserted below
            responses[username] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=("optik", optician, mine)),
        threading.Thread(target=save, args=("optik2", colleague, theirs)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    assert not any(isinstance(r, Exception) for r in responses.values()), responses
    assert all(r.status_code == 200 for r in responses.values())
    winners = [
        name for name, r in responses.items() if SAVED_EVENTS[kind] in r.get("HX-Trigger", "")
    ]
    assert len(winners) == 1, responses
    loser = responses["optik2" if winners == ["optik"] else "optik"].content.decode()
    assert REFUSED in loser
    assert not any(text in loser for text in DATABASE_ERROR_TEXTS)
    current = assert_single_chain(kind, customer, length=2)
    expected = Decimal(mine) if winners == ["optik"] else Decimal(theirs)
    assert current.right_sphere == expected
