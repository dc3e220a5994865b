"""Every write to consents goes through here: the customer page, the admin
and later the API call these functions, so each rule has one home."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from appointments.models import Appointment, AppointmentStatus
from customers.models import Customer
from messaging.delivery import Attachment, DeliveryResult, send_email
from messaging.models import (
    ALREADY_GIVEN,
    PURPOSE_OF_KIND,
    Channel,
    Consent,
    Kind,
    Message,
    MessageSettings,
    Method,
    Purpose,
    ShortNotice,
    State,
)
from messaging.rendering import Rendered, render, values_for
from messaging.selectors import (
    SERVICE_CHANNEL_ORDER,
    has_contact_data,
    is_quiet,
    last_allowed,
    may_contact,
    message_settings,
    next_allowed,
    reachable_channels,
    service_channel,
    template_for,
)
from messaging.sms import send_sms, to_e164
from opticrm.lib.phone import format_phone


def _already_given() -> ValidationError:
    return ValidationError({"purpose": str(ALREADY_GIVEN)}, code="already_given")


@transaction.atomic
def consent_give(
    *,
    customer_id: int,
    channel: str,
    purpose: str,
    method: str,
    text: str,
    user,
    given_at: datetime.datetime | None = None,
) -> Consent:
    """Record a consent to be contacted on ``channel`` for ``purpose``. A
    customer has at most one active consent per channel and purpose: a
    second one is refused (``ValidationError`` at ``purpose``). The
    customer's row is locked, so two recordings at once cannot both pass."""
    customer = Customer.objects.alive().select_for_update(no_key=True).get(pk=customer_id)
    if (
        Consent.objects.active()
        .filter(customer=customer, channel=channel, purpose=purpose)
        .exists()
    ):
        raise _already_given()
    consent = Consent(
        customer=customer,
        channel=channel,
        purpose=purpose,
        method=method,
        text=(text or "").strip(),
        given_at=given_at or timezone.now(),
        recorded_by=user,
    )
    # The uniqueness was checked above, under the lock.
    consent.full_clean(validate_constraints=False)
    consent.validate_constraints(exclude={"customer"})
    consent.save()
    return consent


@transaction.atomic
def consent_withdraw(
    *, consent_id: int, user, method: str, withdrawn_at: datetime.datetime | None = None
) -> Consent:
    """Withdraw a consent: the record stays as proof, marked withdrawn (when,
    how, recorded by whom). A consent withdrawn already is left as it is."""
    consent = Consent.objects.select_for_update(no_key=True).get(pk=consent_id)
    if not consent.is_active:
        return consent
    if method not in Method.values:
        raise ValidationError(
            {"withdrawal_method": _("Please choose how the consent was withdrawn.")},
            code="required",
        )
    consent.withdrawn_at = withdrawn_at or timezone.now()
    consent.withdrawn_by = user
    consent.withdrawal_method = method
    consent.full_clean(validate_constraints=False)
    consent.validate_constraints(exclude={"customer"})
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_method", "updated_at"])
    return consent


# --- Messages ------------------------------------------------------------------
#
# A message is a row first (Message, state "planned" with its time), then a
# task: the scheduler (messages_dispatch, run every minute) and the one-click
# actions hand due rows to the worker ("queued", a task enqueued in the same
# transaction), the worker claims each row ("sending") before it talks to a
# server and records the outcome. A row leaves "queued" once, so a message
# goes out once however many workers and scheduler runs there are; one left
# "sending" by a crash is shown as failed, never sent again by itself.

# Transient failures are tried again after these pauses, then given up.
RETRY_PAUSES = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
)
MAX_ATTEMPTS = len(RETRY_PAUSES) + 1
# A queued message waits for a worker for seconds; after this long its
# task is taken to be lost and handed over again.
REQUEUE_AFTER = datetime.timedelta(minutes=30)
# A send takes seconds; one "sending" for longer was interrupted.
INTERRUPTED_AFTER = datetime.timedelta(minutes=15)
# How many messages one task sends (a batch of 10,000 is 100 tasks).
TASK_BATCH = 100
# Reminders are planned this far ahead of their time by the scheduler's sweep.
SWEEP_AHEAD = datetime.timedelta(hours=12)
CONFIRMATION_KINDS = {"booked": Kind.CONFIRMATION, "moved": Kind.CONFIRMATION}


def _enqueue(message_ids: list[int]) -> None:
    """Hand messages (already "queued") to the worker, in batches; the tasks
    commit with the transaction that queued them."""
    from messaging.tasks import deliver_messages

    for start in range(0, len(message_ids), TASK_BATCH):
        deliver_messages.enqueue(message_ids=message_ids[start : start + TASK_BATCH])


def _queue_due(message_ids: list[int], *, now: datetime.datetime) -> list[int]:
    """Queue those of ``message_ids`` that are planned and due; the rest
    stay planned for the scheduler."""
    cfg = message_settings()
    if is_quiet(now, cfg) or not message_ids:
        return []
    # Claimed as the scheduler claims: a row another run or worker holds is
    # skipped, and only rows still planned are set "queued".
    with transaction.atomic():
        queued = list(
            Message.objects.filter(pk__in=message_ids, state=State.PLANNED, send_at__lte=now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        Message.objects.filter(pk__in=queued, state=State.PLANNED).update(
            state=State.QUEUED, updated_at=now
        )
        _enqueue(queued)
    return queued


def _reminder_time(appointment: Appointment, cfg: MessageSettings) -> datetime.datetime:
    return last_allowed(appointment.start - datetime.timedelta(hours=cfg.reminder_hours), cfg)


def _wants_reminder(appointment: Appointment, cfg: MessageSettings, now) -> bool:
    """Whether the appointment gets a reminder: a type that sends them, still
    planned or confirmed, booked at least the reminder time ahead (one
    booked at shorter notice gets a confirmation or nothing, by setting)."""
    return (
        appointment.type.sends_reminder
        and appointment.status in (AppointmentStatus.PLANNED, AppointmentStatus.CONFIRMED)
        and appointment.start > now
        and appointment.customer.deleted_at is None
        and _reminder_time(appointment, cfg) >= appointment.created_at
    )


def _new_message(
    *,
    customer: Customer,
    kind: str,
    channel: str,
    send_at,
    appointment=None,
    reference: str = "",
    key=None,
    user=None,
) -> Message:
    return Message(
        customer=customer,
        kind=kind,
        channel=channel,
        purpose=PURPOSE_OF_KIND[kind],
        appointment=appointment,
        reference=reference,
        key=key,
        recipient=recipient_of(customer, channel),
        send_at=send_at,
        created_by=user,
    )


def _insert_once(message: Message) -> Message | None:
    """Save a new message, or nothing when its twin exists (the unique
    reminder per appointment, the same key): None then. A savepoint keeps
    the surrounding transaction usable."""
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        return None
    return message


def _insert_new(messages: list[Message]) -> list[int]:
    """Insert ``messages``, skipping those whose key or reminder exists;
    the ids of the rows inserted (INSERT … ON CONFLICT DO NOTHING RETURNING)."""
    if not messages:
        return []
    fields = [
        field
        for field in Message._meta.concrete_fields
        if not field.primary_key and not getattr(field, "generated", False)
    ]
    now = timezone.now()
    for message in messages:
        message.created_at = message.updated_at = now
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [
        field.get_db_prep_save(getattr(message, field.attname), connection)
        for message in messages
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Message._meta.db_table} ({columns}) VALUES "
            + ", ".join([row] * len(messages))
            + " ON CONFLICT DO NOTHING RETURNING id",
            params,
        )
        return [pk for (pk,) in cursor.fetchall()]


def recipient_of(customer: Customer, channel: str) -> str:
    """Where a message on ``channel`` goes: the e-mail address, the mobile
    number in E.164, the postal address (one line); "" when there is none."""
    if channel == Channel.EMAIL:
        return customer.email or ""
    if channel == Channel.SMS:
        return to_e164(customer.phone)[0]
    return ", ".join(customer.postal_address_lines[1:])


@transaction.atomic
def reminder_plan(*, appointment_id: int, now: datetime.datetime | None = None) -> Message | None:
    """Plan the reminder of one appointment, move it with the appointment,
    or cancel it (cancelled, done, no longer reminded). A reminder on its
    way or sent stays as it is: one reminder per appointment."""
    now = now or timezone.now()
    cfg = message_settings()
    appointment = (
        Appointment.objects.select_related("type", "customer").filter(pk=appointment_id).first()
    )
    if appointment is None:
        return None
    reminder = (
        Message.objects.select_for_update()
        .filter(appointment=appointment, kind=Kind.REMINDER)
        .first()
    )
    if reminder is not None and (
        reminder.state not in (State.PLANNED, State.CANCELLED) or reminder.stopped
    ):
        # On its way, sent, or stopped by staff (the customer asked): stays.
        return reminder
    channel = (
        service_channel(appointment.customer, cfg)
        if _wants_reminder(appointment, cfg, now)
        else None
    )
    if channel is None:
        if reminder is not None and reminder.state == State.PLANNED:
            reminder.state = State.CANCELLED
            reminder.reason = _no_reminder_reason(appointment, cfg, now)
            reminder.save(update_fields=["state", "reason", "updated_at"])
        return reminder
    send_at = max(_reminder_time(appointment, cfg), now)
    if reminder is None:
        inserted = _insert_once(
            _new_message(
                customer=appointment.customer,
                kind=Kind.REMINDER,
                channel=channel,
                send_at=send_at,
                appointment=appointment,
            )
        )
        if inserted is not None:
            return inserted
        # A scheduler run planned it at the same moment: update that one.
        reminder = (
            Message.objects.select_for_update()
            .filter(appointment=appointment, kind=Kind.REMINDER)
            .first()
        )
        if reminder is None or reminder.state != State.PLANNED:
            return reminder
    reminder.state = State.PLANNED
    # The appointment may have been given to another customer.
    reminder.customer = appointment.customer
    reminder.channel = channel
    reminder.recipient = recipient_of(appointment.customer, channel)
    reminder.send_at = send_at
    reminder.reason = ""
    reminder.save(
        update_fields=[
            "state",
            "customer",
            "channel",
            "recipient",
            "send_at",
            "reason",
            "updated_at",
        ]
    )
    return reminder


def _no_reminder_reason(appointment: Appointment, cfg: MessageSettings, now) -> str:
    if appointment.status == AppointmentStatus.CANCELLED:
        return gettext("The appointment was cancelled.")
    if appointment.status not in (AppointmentStatus.PLANNED, AppointmentStatus.CONFIRMED):
        return gettext("The appointment is no longer planned.")
    if not appointment.type.sends_reminder:
        return gettext("This appointment type sends no reminders.")
    if appointment.start <= now:
        return gettext("The appointment has begun.")
    return gettext("No consent to service messages by SMS or e-mail with matching contact data.")


@transaction.atomic
def appointment_notify(*, appointment_id: int, change: str, user=None) -> Message | None:
    """After a booking, a move or a cancellation: re-plan the reminder and,
    as the shop set it, confirm the change to the customer right away (a
    booking at shorter notice than the reminder time gets its confirmation
    by the short-notice setting)."""
    now = timezone.now()
    cfg = message_settings()
    reminder_plan(appointment_id=appointment_id, now=now)
    appointment = Appointment.objects.select_related("type", "customer").get(pk=appointment_id)
    if appointment.start <= now or appointment.customer.deleted_at is not None:
        return None
    short_notice = (
        change == "booked"
        and appointment.type.sends_reminder
        and _reminder_time(appointment, cfg) < appointment.created_at
        and cfg.short_notice == ShortNotice.CONFIRM
    )
    wanted = {
        "booked": cfg.confirm_booking or short_notice,
        "moved": cfg.confirm_move,
        "cancelled": cfg.confirm_cancel,
    }.get(change, False)
    if not wanted:
        return None
    channel = service_channel(appointment.customer, cfg)
    if channel is None:
        return None
    kind = Kind.CANCELLATION if change == "cancelled" else Kind.CONFIRMATION
    # A double submit or a retried request confirms the same version once.
    key = f"{kind}:{appointment.pk}:{appointment.version}"
    message = _insert_once(
        _new_message(
            customer=appointment.customer,
            kind=kind,
            channel=channel,
            send_at=next_allowed(now, cfg),
            appointment=appointment,
            key=key,
            user=user,
        )
    )
    if message is None:
        return None
    _queue_due([message.pk], now=now)
    return message


@transaction.atomic
def ready_notify(*, appointment_id: int, user) -> Message:
    """ "Ihre Brille ist abholbereit": one message per pick-up appointment,
    right away (after the quiet hours at night). Raises ValidationError
    with the reason when the customer cannot be reached."""
    appointment = Appointment.objects.select_related("type", "customer").get(pk=appointment_id)
    key = f"{Kind.READY}:{appointment.pk}"
    existing = Message.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if not appointment.type.is_pickup:
        raise ValidationError(
            gettext("Only a pick-up appointment can announce that the glasses are ready."),
            code="not_pickup",
        )
    if appointment.status not in (AppointmentStatus.PLANNED, AppointmentStatus.CONFIRMED):
        raise ValidationError(gettext("The appointment is no longer planned."), code="not_planned")
    return _ready_message(appointment.customer, key=key, appointment=appointment, user=user)


def ready_notify_for(*, customer_id: int, reference: str, user) -> Message:
    """The same message for something else that is ready, once per
    ``reference`` (an order: "order:12")."""
    key = f"{Kind.READY}:{reference}"
    existing = Message.objects.filter(key=key).first()
    if existing is not None:
        return existing
    customer = Customer.objects.get(pk=customer_id)
    return _ready_message(customer, key=key, appointment=None, user=user)


def _ready_message(customer: Customer, *, key: str, appointment, user) -> Message:
    now = timezone.now()
    cfg = message_settings()
    if customer.deleted_at is not None:
        raise ValidationError(gettext("This customer has been deleted."), code="deleted")
    channel = service_channel(customer, cfg)
    if channel is None:
        raise ValidationError(
            gettext(
                "%(name)s cannot be notified: there is no consent to service messages "
                "by SMS or e-mail with matching contact data. Please call: %(phone)s"
            )
            % {"name": customer.full_name, "phone": format_phone(customer.phone) or "–"},
            code="unreachable",
        )
    message = _insert_once(
        _new_message(
            customer=customer,
            kind=Kind.READY,
            channel=channel,
            send_at=next_allowed(now, cfg),
            appointment=appointment,
            key=key,
            user=user,
        )
    )
    if message is None:  # a double click: the first one's message
        return Message.objects.get(key=key)
    _queue_due([message.pk], now=now)
    message.refresh_from_db()
    return message


# --- Service e-mails with a document (an invoice) ----------------------------------
#
# An app sends a document to a customer (the invoices app: an issued
# invoice with its PDF) as a service message: with the customer's consent
# to service messages by e-mail, or when the customer asked for it (the
# request is recorded with the message: when, and who noted it). Once per
# document (``reference``), unless sent again on purpose; then the way of
# every message (quiet hours, worker, retries, the customer page's log). At
# sending, the worker asks the app that registered the kind for the
# attachments, so the message carries the document as it is kept.

# Kinds whose e-mails are nothing without their attachment.
ATTACHED_KINDS = frozenset({Kind.INVOICE})
# Per kind: provider(message) -> the attachments, [] when the document is missing.
_ATTACHMENTS: dict[str, Callable[[Message], list[Attachment]]] = {}


# Per kind: provider(reference) -> the values of its placeholders
# (rendering.KINDS_OF_PLACEHOLDER), {} when the thing is gone.
_VALUES: dict[str, Callable[[str], dict[str, str]]] = {}


def values_register(kind: str, provider: Callable[[str], dict[str, str]]) -> None:
    """The app that sends ``kind`` fills its own placeholders, from a
    message's reference (in its AppConfig.ready, like attachments)."""
    _VALUES[kind] = provider


def attachments_register(kind: str, provider: Callable[[Message], list[Attachment]]) -> None:
    """The app that sends ``kind`` provides its attachments (in its
    AppConfig.ready; idempotent, as ``ready`` may run more than once)."""
    _ATTACHMENTS[kind] = provider


@dataclass(frozen=True)
class ServiceEmail:
    """What a service e-mail to a customer would be, before it is sent."""

    recipient: str
    subject: str
    text: str
    # An active consent to service messages by e-mail.
    consented: bool
    # Why it cannot go whatever the staff member ticks ("": it can).
    refusal: str
    # The latest e-mail about the same thing, if one was sent or is on its way.
    last: Message | None


def _email_refusal(customer: Customer) -> str:
    if customer.deleted_at is not None:
        return gettext("This customer has been deleted.")
    if not customer.email:
        return gettext(
            "%(name)s has no e-mail address. Please add it to the customer record first."
        ) % {"name": customer.full_name}
    try:
        validate_email(customer.email)
    except ValidationError:
        return gettext(
            "The e-mail address %(email)s of %(name)s is not valid. Please correct it in the "
            "customer record first."
        ) % {"email": customer.email, "name": customer.full_name}
    return ""


def _about(kind: str, reference: str):
    return Message.objects.filter(kind=kind, reference=reference)


def _nth_key(kind: str, reference: str, number: int) -> str:
    return f"{kind}:{reference}" if number == 1 else f"{kind}:{reference}:{number}"


def service_email_preview(*, customer: Customer, kind: str, reference: str) -> ServiceEmail:
    """The e-mail service_email_send would send (as the template reads now),
    to whom, and whether it may (the same rules, read without sending)."""
    preview = _new_message(
        customer=customer,
        kind=kind,
        channel=Channel.EMAIL,
        send_at=timezone.now(),
        reference=reference,
    )
    rendered = message_render(preview)
    return ServiceEmail(
        recipient=customer.email or "",
        subject=rendered.subject if rendered else "",
        text=rendered.text if rendered else "",
        consented=may_contact(customer.pk, Channel.EMAIL, PURPOSE_OF_KIND[kind]),
        refusal=_email_refusal(customer),
        last=_about(kind, reference).order_by("-created_at", "-id").first(),
    )


@transaction.atomic
def service_email_send(
    *, customer_id: int, kind: str, reference: str, requested: bool, user, again: bool = False
) -> Message:
    """E-mail the customer about ``reference`` (a message of ``kind``, e.g.
    an invoice with its PDF): right away, after the quiet hours at night.
    Allowed with the customer's active consent to service messages by
    e-mail, or when the customer asked for it (``requested``: recorded with
    the message, when and by ``user``). Once per reference: its first
    e-mail is returned unless ``again`` (a double click sends nothing
    twice). Raises ValidationError with the reason; nothing is saved then."""
    if PURPOSE_OF_KIND[kind] != Purpose.SERVICE:
        # Recalls and advertising need a consent; a request is no stand-in.
        raise ValueError(f"Messages of kind {kind} are no service messages.")
    if kind in ATTACHED_KINDS and kind not in _ATTACHMENTS:
        raise ImproperlyConfigured(f"No attachments registered for messages of kind {kind}.")
    customer = Customer.objects.get(pk=customer_id)
    if refusal := _email_refusal(customer):
        raise ValidationError(refusal, code="unreachable")
    earlier = _about(kind, reference)
    if not again and (first := earlier.filter(key=_nth_key(kind, reference, 1)).first()):
        return first
    if not requested and not may_contact(customer.pk, Channel.EMAIL, PURPOSE_OF_KIND[kind]):
        raise ValidationError(
            {
                "requested": gettext(
                    "%(name)s has not consented to service messages by e-mail. Send it by "
                    "e-mail only if the customer asked for it (tick the box); otherwise please "
                    "hand it over or send it by post."
                )
                % {"name": customer.full_name}
            },
            code="no_consent",
        )
    now = timezone.now()
    # The n-th e-mail about it: two clicks on "send again" meet at the
    # unique key and send it once.
    key = _nth_key(kind, reference, earlier.count() + 1 if again else 1)
    message = _new_message(
        customer=customer,
        kind=kind,
        channel=Channel.EMAIL,
        send_at=next_allowed(now, message_settings()),
        reference=reference,
        key=key,
        user=user,
    )
    if requested:
        message.requested_at, message.requested_by = now, user
    # The key's uniqueness is the insert's (a double click gets the first).
    message.full_clean(
        exclude={"customer", "created_by", "requested_by"},
        validate_unique=False,
        validate_constraints=False,
    )
    if _insert_once(message) is None:
        return Message.objects.get(key=key)
    _queue_due([message.pk], now=now)
    message.refresh_from_db()
    return message


def _attachments(message: Message) -> list[Attachment] | DeliveryResult | None:
    """What the app that sends the kind attaches (None: nothing to attach);
    a permanent failure when the document is missing."""
    provider = _ATTACHMENTS.get(message.kind)
    attachments = provider(message) if provider is not None else None
    if message.kind in ATTACHED_KINDS and not attachments:
        return DeliveryResult.failed(
            gettext("The document to attach is missing; the message was not sent."),
            transient=False,
        )
    return attachments or None


@dataclass
class DispatchReport:
    planned: int = 0
    queued: int = 0
    interrupted: int = 0


def reminders_sweep(*, now: datetime.datetime) -> int:
    """Plan the reminders of appointments soon due that have none (booked
    by a path that did not plan one, or before a customer consented).
    Reads the appointments of the next hours from their (status, start)
    index; returns how many reminders it planned."""
    cfg = message_settings()
    horizon = now + datetime.timedelta(hours=cfg.reminder_hours) + SWEEP_AHEAD
    candidates = list(
        Appointment.objects.filter(
            status__in=[AppointmentStatus.PLANNED, AppointmentStatus.CONFIRMED],
            start__gt=now,
            start__lte=horizon,
            type__sends_reminder=True,
            customer__deleted_at__isnull=True,
        )
        .exclude(Exists(Message.objects.filter(appointment=OuterRef("pk"), kind=Kind.REMINDER)))
        .select_related("type", "customer")
    )
    if not candidates:
        return 0
    reachable = reachable_channels(
        {appointment.customer for appointment in candidates}, Purpose.SERVICE
    )
    order = SERVICE_CHANNEL_ORDER[cfg.reminder_channel]
    rows = []
    for appointment in candidates:
        if not _wants_reminder(appointment, cfg, now):
            continue
        channels = reachable[appointment.customer_id]
        channel = next((c for c in order if c in channels), None)
        if channel is None:
            continue
        rows.append(
            _new_message(
                customer=appointment.customer,
                kind=Kind.REMINDER,
                channel=channel,
                send_at=max(_reminder_time(appointment, cfg), now),
                appointment=appointment,
            )
        )
    # A parallel run or booking may have planned some meanwhile: theirs stay.
    Message.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def messages_dispatch(
    *, now: datetime.datetime | None = None, limit: int = 10_000
) -> DispatchReport:
    """The scheduler's run (every minute): plan the reminders now due, hand
    every planned message whose time has come to the worker, and mark sends
    a crash interrupted. Several runs at once share the work: rows are
    claimed with SKIP LOCKED."""
    now = now or timezone.now()
    report = DispatchReport()
    with transaction.atomic():
        report.planned = reminders_sweep(now=now)
    with transaction.atomic():
        if not is_quiet(now, message_settings()):
            due = list(
                Message.objects.filter(state=State.PLANNED, send_at__lte=now)
                .order_by("send_at", "id")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:limit]
            )
            Message.objects.filter(pk__in=due).update(state=State.QUEUED, updated_at=now)
            _enqueue(due)
            report.queued = len(due)
    with transaction.atomic():
        # Queued, but its task never ran (a worker killed between claiming
        # the task and the message): handed over again; claiming the
        # message again is conditional, so it still goes out once.
        stale = list(
            Message.objects.filter(state=State.QUEUED, updated_at__lt=now - REQUEUE_AFTER)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        Message.objects.filter(pk__in=stale, state=State.QUEUED).update(updated_at=now)
        _enqueue(stale)
        report.queued += len(stale)
    with transaction.atomic():
        report.interrupted = Message.objects.filter(
            state=State.SENDING, updated_at__lt=now - INTERRUPTED_AFTER
        ).update(
            state=State.FAILED,
            updated_at=now,
            reason=gettext(
                "Sending was interrupted; please check with the customer whether the "
                "message arrived before sending it again."
            ),
        )
    return report


def _blocker(message: Message, now) -> tuple[str, str] | None:
    """(state, reason) when the message must not go out (any more)."""
    customer = message.customer
    if customer.deleted_at is not None:
        return State.CANCELLED, gettext("The customer has been deleted.")
    # A message the customer asked for (an invoice by e-mail) needs no consent.
    if message.requested_at is None and not may_contact(
        customer.pk, message.channel, message.purpose
    ):
        return State.CANCELLED, gettext("There is no consent for this channel (any more).")
    appointment = message.appointment
    if appointment is not None and appointment.customer_id != customer.pk:
        return State.CANCELLED, gettext("The appointment now belongs to another customer.")
    if (
        message.kind in (Kind.CONFIRMATION, Kind.CANCELLATION)
        and appointment is not None
        and message.key
        and message.key.rsplit(":", 1)[-1] != str(appointment.version)
    ):
        # Changed again since: the newer change's confirmation says it.
        return State.CANCELLED, gettext("The appointment was changed again since.")
    if message.kind == Kind.REMINDER:
        if appointment is None or appointment.status not in (
            AppointmentStatus.PLANNED,
            AppointmentStatus.CONFIRMED,
        ):
            return State.CANCELLED, gettext("The appointment is no longer planned.")
        if appointment.start <= now:
            return State.CANCELLED, gettext("The appointment has begun.")
    if message.kind in (Kind.CONFIRMATION, Kind.CANCELLATION) and appointment is None:
        return State.CANCELLED, gettext("The appointment has been deleted.")
    if not has_contact_data(customer, message.channel):
        return State.FAILED, {
            Channel.EMAIL: gettext("The customer has no e-mail address."),
            Channel.SMS: gettext("The customer has no mobile number."),
            Channel.LETTER: gettext("The customer's postal address is incomplete."),
        }[message.channel]
    return None


def unsubscribe_url(customer_id: int, channel: str) -> str:
    from messaging.unsubscribe import unsubscribe_url as url

    return url(customer_id, channel)


def message_render(message: Message) -> Rendered | None:
    """The message's subject and text for its customer (and appointment)."""
    template = template_for(message.kind, message.channel)
    if template is None:
        return None
    link = ""
    if message.purpose == Purpose.MARKETING and message.channel == Channel.EMAIL:
        link = unsubscribe_url(message.customer_id, message.channel)
    about = _VALUES[message.kind](message.reference) if message.kind in _VALUES else {}
    return render(
        template,
        values_for(
            message.customer, appointment=message.appointment, unsubscribe_url=link, about=about
        ),
    )


def _send(message: Message, rendered: Rendered) -> DeliveryResult:
    if message.channel == Channel.EMAIL:
        headers = {}
        if message.purpose == Purpose.MARKETING:
            link = unsubscribe_url(message.customer_id, message.channel)
            headers = {
                "List-Unsubscribe": f"<{link}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        attachments = _attachments(message)
        if isinstance(attachments, DeliveryResult):
            return attachments
        return send_email(
            to=message.recipient,
            subject=rendered.subject,
            body=rendered.text,
            headers=headers,
            attachments=attachments,
        )
    if message.channel == Channel.SMS:
        return send_sms(to=message.recipient, text=rendered.text)
    return DeliveryResult.failed(gettext("Letters are printed, not sent."), transient=False)


def message_fail(*, message_id: int) -> str:
    """A delivery that raised (a bug, not a refusal): the message is shown
    failed, so staff see it; it is not tried again by itself, as it may
    have gone out before the error."""
    Message.objects.filter(pk=message_id, state__in=[State.QUEUED, State.SENDING]).update(
        state=State.FAILED,
        updated_at=timezone.now(),
        reason=gettext(
            "Sending stopped because of an unexpected error; please check with the customer "
            "whether the message arrived before sending it again."
        ),
    )
    return State.FAILED


def message_deliver(*, message_id: int, now: datetime.datetime | None = None) -> str | None:
    """Send one queued message (the worker's part). The row is claimed
    first ("queued" → "sending", committed), so it is sent at most once;
    the outcome is recorded after: sent, planned again after a pause
    (a transient failure), failed or cancelled with the reason."""
    now = now or timezone.now()
    claimed = Message.objects.filter(pk=message_id, state=State.QUEUED).update(
        state=State.SENDING, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return None
    message = Message.objects.select_related("customer", "appointment__type").get(pk=message_id)
    cfg = message_settings()
    update: dict = {"updated_at": timezone.now()}
    if is_quiet(now, cfg):
        # Queued before the quiet hours began: it waits for the morning.
        update |= {
            "state": State.PLANNED,
            "send_at": next_allowed(now, cfg),
            "attempts": message.attempts - 1,
        }
    elif blocked := _blocker(message, now):
        update |= {"state": blocked[0], "reason": blocked[1]}
    else:
        rendered = message_render(message)
        message.recipient = recipient_of(message.customer, message.channel)
        if rendered is None:
            result = DeliveryResult.failed(
                gettext("There is no template for this kind of message."), transient=False
            )
        else:
            field = Message._meta.get_field("subject")
            update |= {"subject": rendered.subject[: field.max_length], "text": rendered.text}
            result = _send(message, rendered)
        update["recipient"] = message.recipient
        if result.ok:
            update |= {
                "state": State.SENT,
                "sent_at": timezone.now(),
                "reason": "",
                "gateway_id": result.message_id,
            }
        elif result.transient and message.attempts < MAX_ATTEMPTS:
            update |= {
                "state": State.PLANNED,
                "send_at": now + RETRY_PAUSES[message.attempts - 1],
                "reason": result.reason,
            }
        else:
            reason = result.reason
            if result.transient:
                reason = gettext("%(reason)s (gave up after %(count)s attempts)") % {
                    "reason": reason,
                    "count": message.attempts,
                }
            update |= {"state": State.FAILED, "reason": reason}
    Message.objects.filter(pk=message_id, state=State.SENDING).update(**update)
    return update.get("state")


@transaction.atomic
def message_retry(*, message_id: int, user) -> Message:
    """Send a failed message again, now (or after the quiet hours): its
    text is made anew from the customer's current data."""
    message = Message.objects.select_for_update().get(pk=message_id)
    if message.state != State.FAILED:
        raise ValidationError(
            gettext("Only a failed message can be sent again."), code="not_failed"
        )
    now = timezone.now()
    message.state = State.PLANNED
    message.send_at = next_allowed(now, message_settings())
    message.attempts = 0
    message.reason = ""
    message.save(update_fields=["state", "send_at", "attempts", "reason", "updated_at"])
    _queue_due([message.pk], now=now)
    message.refresh_from_db()
    return message


@transaction.atomic
def message_cancel(*, message_id: int, user) -> Message:
    """Stop a planned message (it stays in the log as cancelled)."""
    message = Message.objects.select_for_update().get(pk=message_id)
    if message.state != State.PLANNED:
        raise ValidationError(
            gettext("Only a planned message can be cancelled."), code="not_planned"
        )
    message.state = State.CANCELLED
    message.stopped = True
    message.reason = gettext("Cancelled by %(name)s.") % {
        "name": user.get_full_name() or user.get_username()
    }
    message.save(update_fields=["state", "stopped", "reason", "updated_at"])
    return message


@transaction.atomic
def consent_unsubscribe(*, customer_id: int, channel: str) -> int:
    """The customer followed the unsubscribe link of a recall e-mail: every
    active consent to recalls and advertising on that channel is withdrawn
    (online, recorded by nobody: the customer did it). Returns how many;
    a second click finds none and changes nothing."""
    consents = list(
        Consent.objects.active()
        .select_for_update(no_key=True)
        .filter(customer_id=customer_id, channel=channel, purpose=Purpose.MARKETING)
    )
    for consent in consents:
        consent_withdraw(consent_id=consent.pk, user=None, method=Method.ONLINE)
    # Recalls already planned on that channel do not go out any more.
    Message.objects.filter(
        customer_id=customer_id,
        channel=channel,
        purpose=Purpose.MARKETING,
        state=State.PLANNED,
    ).update(
        state=State.CANCELLED,
        reason=gettext("The customer unsubscribed."),
        updated_at=timezone.now(),
    )
    return len(consents)


# --- Recall --------------------------------------------------------------------

# Letters per PDF: a print run the shop can check and stuff in one go.
LETTERS_AT_MOST = 500
RECALL_CHUNK = 2000


def _recall_key(kind: str, customer_id: int, today: datetime.date) -> str:
    # One recall of a kind per customer and day: a double click, a second
    # tab or a retried task plans it once; after the pause the customer is
    # due again and gets a new one.
    return f"{kind}:{customer_id}:{today.isoformat()}"


def recall_queue(*, query_data: dict, user_id: int | None, now=None) -> int:
    """Plan the recall e-mails and SMS for every customer the recall list
    shows with ``query_data`` (messaging.recall.RecallQuery.as_dict) who can
    be reached electronically, on the shop's preferred channel, and hand
    them to the worker (after the quiet hours at night). The background
    task of the list's batch button; returns how many were planned."""
    from messaging.recall import RecallQuery, due_customers, electronically_reachable

    now = now or timezone.now()
    cfg = message_settings()
    query = RecallQuery.from_dict(query_data)
    order = SERVICE_CHANNEL_ORDER[cfg.reminder_channel]
    ids = list(
        due_customers(query, pause_weeks=cfg.recall_pause_weeks, now=now)
        .filter(electronically_reachable())
        .values_list("pk", flat=True)
    )
    planned = 0
    send_at = next_allowed(now, cfg)
    for start in range(0, len(ids), RECALL_CHUNK):
        with transaction.atomic():
            customers = list(Customer.objects.filter(pk__in=ids[start : start + RECALL_CHUNK]))
            channels = reachable_channels(customers, Purpose.MARKETING)
            rows = []
            for customer in customers:
                channel = next((c for c in order if c in channels[customer.pk]), None)
                if channel is None:  # consent withdrawn meanwhile
                    continue
                message = _new_message(
                    customer=customer,
                    kind=query.kind,
                    channel=channel,
                    send_at=send_at,
                    key=_recall_key(query.kind, customer.pk, query.today),
                )
                message.created_by_id = user_id
                rows.append(message)
            # RETURNING names the rows this run inserted; a twin planned by
            # another run (the same key) is that run's to count and queue.
            fresh = _insert_new(rows)
            planned += len(fresh)
            _queue_due(fresh, now=now)
    return planned


@transaction.atomic
def recall_letters(*, query, user, now=None) -> bytes:
    """The recall letters of everyone on the list (as ``query`` filters it)
    who can be reached by letter only: one PDF, one page per customer, each
    letter logged as sent (a letter already logged today, a second click,
    is not printed again). In the shop's language, whatever the staff
    member's screen shows. Raises ValidationError when there is nobody to
    write to or more than LETTERS_AT_MOST."""
    with translation.override(settings.LANGUAGE_CODE):
        return _recall_letters(query=query, user=user, now=now or timezone.now())


def _recall_letters(*, query, user, now) -> bytes:
    from messaging.recall import due_customers, only_by_letter
    from opticrm.lib.letters import Letter, Sender, letters_pdf

    cfg = message_settings()
    customers = list(
        due_customers(query, pause_weeks=cfg.recall_pause_weeks, now=now).filter(only_by_letter())[
            : LETTERS_AT_MOST + 1
        ]
    )
    if not customers:
        raise ValidationError(
            gettext("Nobody on this list is to be written to by letter."), code="empty"
        )
    if len(customers) > LETTERS_AT_MOST:
        raise ValidationError(
            gettext(
                "More than %(count)s letters: please narrow the list (due month, age group) "
                "and print it in parts."
            )
            % {"count": LETTERS_AT_MOST},
            code="too_many",
        )
    template = template_for(query.kind, Channel.LETTER)
    if template is None:
        raise ValidationError(gettext("There is no template for this kind of message."))
    today = timezone.localdate(now)
    rendered_for, messages = {}, []
    for customer in customers:
        rendered = render(template, values_for(customer))
        rendered_for[customer.pk] = rendered
        message = _new_message(
            customer=customer,
            kind=query.kind,
            channel=Channel.LETTER,
            send_at=now,
            key=_recall_key(query.kind, customer.pk, query.today),
            user=user,
        )
        message.subject, message.text = rendered.subject, rendered.text
        message.state, message.sent_at = State.SENT, now
        messages.append(message)
    inserted = set(
        Message.objects.filter(pk__in=_insert_new(messages)).values_list("customer_id", flat=True)
    )
    letters = [
        Letter(
            address_lines=customer.postal_address_lines,
            subject=rendered_for[customer.pk].subject,
            body=rendered_for[customer.pk].text,
            date=today,
        )
        for customer in customers
        if customer.pk in inserted
    ]
    if not letters:
        raise ValidationError(
            gettext("These letters have been printed already today."), code="printed"
        )
    sender = Sender(
        name=settings.SHOP_NAME, address=settings.SHOP_ADDRESS, phone=settings.SHOP_PHONE
    )
    return letters_pdf(letters=letters, sender=sender)


@transaction.atomic
def message_delivery_report(*, report) -> Message | None:
    """A gateway's later report about a sent SMS (messaging.sms.DeliveryReport):
    "zugestellt", or failed with the gateway's status. Reports for unknown
    ids, and reports arriving again, change nothing."""
    message = (
        Message.objects.select_for_update()
        .filter(gateway_id=report.gateway_id, channel=Channel.SMS, state=State.SENT)
        .first()
    )
    if message is None:
        return None
    now = timezone.now()
    if report.delivered:
        message.state, message.delivered_at = State.DELIVERED, now
    else:
        message.state = State.FAILED
        message.reason = gettext(
            "The SMS gateway reports the SMS was not delivered (%(status)s)."
        ) % {"status": report.status}
    message.save(update_fields=["state", "delivered_at", "reason", "updated_at"])
    return message
