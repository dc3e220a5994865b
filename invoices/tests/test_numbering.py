"""Invoice numbers: the next of the year, "{prefix}{year}-{sequence:06d}",
without a gap or a double, whoever issues at the same moment."""

import datetime
import threading
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext

from invoices import services
from invoices.models import Invoice, InvoiceCounter, Status
from invoices.tests.factories import draft, issued

pytestmark = pytest.mark.django_db


def test_issued_invoices_are_numbered_one_after_another():
    today = timezone.localdate()
    first, second = issued(), issued()
    assert (first.status, first.year, first.sequence) == (Status.ISSUED, today.year, 1)
    assert first.number == f"{today.year}-000001"
    assert second.number == f"{today.year}-000002"
    assert first.issued_on == first.delivered_on == today


def test_a_draft_has_no_number_and_a_refused_issue_uses_none():
    empty = draft(lines=())
    assert (empty.number, empty.year, empty.sequence, empty.issued_on) == (None,) * 4
    with pytest.raises(ValidationError) as error:
        services.invoice_issue(invoice_id=empty.pk)
    assert error.value.messages == [gettext("An invoice needs at least one position.")]
    assert issued().sequence == 1


def test_the_prefix_comes_from_the_settings(settings):
    settings.INVOICE_NUMBER_PREFIX = "RE"
    invoice = issued()
    assert invoice.number == f"RE{invoice.year}-000001"
    assert services.invoice_number(2026, 123, "") == "2026-000123"


def test_each_year_counts_from_one():
    this_year = issued()
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    next_new_year = datetime.datetime(this_year.year + 1, 1, 1, 0, 30, tzinfo=berlin)
    with time_machine.travel(next_new_year, tick=False):
        new_year = issued()
        again = issued()
    assert (new_year.year, new_year.sequence) == (this_year.year + 1, 1)
    assert new_year.number == f"{this_year.year + 1}-000001"
    assert new_year.issued_on == next_new_year.date()
    assert again.sequence == 2
    assert issued().sequence == 2  # back in this year
    assert dict(InvoiceCounter.objects.values_list("year", "last")) == {
        this_year.year: 2,
        this_year.year + 1: 2,
    }


def test_issuing_twice_is_refused():
    invoice = issued()
    with pytest.raises(ValidationError):
        services.invoice_issue(invoice_id=invoice.pk)
    assert InvoiceCounter.objects.get().last == 1


def test_the_shop_must_be_named_with_its_tax_number(settings):
    settings.SHOP_TAX_NUMBER = settings.SHOP_VAT_ID = ""
    invoice = draft()
    with pytest.raises(ValidationError):
        services.invoice_issue(invoice_id=invoice.pk)
    settings.SHOP_VAT_ID = "DE123456789"
    assert services.invoice_issue(invoice_id=invoice.pk).shop_vat_id == "DE123456789"


def test_the_counter_only_counts_up_in_the_database():
    issued()
    for sql in (
        "UPDATE invoices_invoicecounter SET last = last - 1",
        "UPDATE invoices_invoicecounter SET last = last + 2",
        "DELETE FROM invoices_invoicecounter",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert InvoiceCounter.objects.get().last == 1


# Threads at once, each with its own connection (the test server allows
# 100 connections in all: 50 threads issue two each).
THREADS = 50
INVOICES = 100


@pytest.mark.django_db(transaction=True)
def test_a_hundred_invoices_issued_at_once_have_a_hundred_numbers_without_gap():
    drafts = [draft().pk for _ in range(INVOICES)]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def issue(ids):
        try:
            barrier.wait()
            for pk in ids:
                services.invoice_issue(invoice_id=pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(drafts[i::THREADS],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    year = timezone.localdate().year
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, INVOICES + 1))
    assert set(Invoice.objects.values_list("number", flat=True)) == {
        f"{year}-{n:06d}" for n in range(1, INVOICES + 1)
    }
    assert InvoiceCounter.objects.get(year=year).last == INVOICES
    connection.close()
