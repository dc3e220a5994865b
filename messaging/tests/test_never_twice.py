"""Never twice: 200 due reminders, two scheduler runs at once and two real
worker processes → every customer receives exactly one e-mail."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from appointments.models import Appointment, AppointmentType
from customers.models import Customer
from messaging import services
from messaging.models import Channel, Consent, Kind, Message, Purpose, State
from messaging.tests.workers import running_worker, wait_for

COUNT = 200


def due_reminders(staff) -> list[Message]:
    """200 customers with e-mail consent, each with an appointment in three
    weeks and its reminder due now (written in bulk, as an import would)."""
    customers = Customer.objects.bulk_create(
        Customer(first_name="Kunde", last_name=f"Nummer{n}", email=f"kunde{n}@example.de")
        for n in range(COUNT)
    )
    Consent.objects.bulk_create(
        Consent(
            customer=customer,
            channel=Channel.EMAIL,
            purpose=Purpose.SERVICE,
            method="in_store",
            text="Einverstanden",
            given_at=timezone.now(),
        )
        for customer in customers
    )
    sehtest = AppointmentType.objects.get(name="Sehtest")
    first = timezone.now().replace(microsecond=0) + datetime.timedelta(days=21)
    appointments = Appointment.objects.bulk_create(
        Appointment(
            customer=customer,
            staff=staff,
            type=sehtest,
            start=first + n * datetime.timedelta(minutes=30),
            end=first + n * datetime.timedelta(minutes=30) + datetime.timedelta(minutes=20),
        )
        for n, customer in enumerate(customers)
    )
    return Message.objects.bulk_create(
        Message(
            customer=appointment.customer,
            kind=Kind.REMINDER,
            channel=Channel.EMAIL,
            purpose=Purpose.SERVICE,
            appointment=appointment,
            recipient=appointment.customer.email,
            send_at=timezone.now() - datetime.timedelta(minutes=1),
        )
        for appointment in appointments
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_and_two_scheduler_runs_send_each_reminder_once(
    staff, smtp_sink, daytime, tmp_path, monkeypatch
):
    # Small batches: 40 tasks, so both workers get some.
    monkeypatch.setattr(services, "TASK_BATCH", 5)
    reminders = due_reminders(staff)
    logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]
    with (
        running_worker(smtp_sink.url, logs[0]) as first,
        running_worker(smtp_sink.url, logs[1]) as second,
    ):
        wait_for(
            lambda: all("Starting worker" in log.read_text() for log in logs),
            timeout=60,
            what="both workers to start",
        )
        reports = []

        def dispatch():
            reports.append(services.messages_dispatch())
            connection.close()

        runs = [threading.Thread(target=dispatch) for _ in range(2)]
        for run in runs:
            run.start()
        for run in runs:
            run.join(60)
        # The two runs shared the work: together they queued each reminder once.
        assert sum(report.queued for report in reports) == COUNT

        def all_sent():
            for process, log in ((first, logs[0]), (second, logs[1])):
                assert process.poll() is None, log.read_text()
            return not Message.objects.exclude(state=State.SENT).exists()

        wait_for(all_sent, timeout=180, what="the workers to send 200 reminders")

    recipients = [message["To"] for message in smtp_sink.messages]
    assert len(recipients) == COUNT
    assert sorted(recipients) == sorted(message.recipient for message in reminders)
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}
    # Both workers took part (the queue is shared, rows are claimed once).
    texts = [log.read_text() for log in logs]
    assert all("deliver_messages" in text for text in texts), texts
    # A third scheduler run afterwards finds nothing to send.
    assert services.messages_dispatch().queued == 0
