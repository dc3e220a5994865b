from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messages")

    def ready(self):
        from appointments.signals import appointment_changed
        from customers import erasure, list_filters, sections
        from messaging.selectors import (
            consents_of,
            customers_without_consent_count,
            messages_of,
            sms_problem,
            without_active_consent,
        )
        from opticrm.lib import schedule

        def consents(customer, request):
            if not request.user.has_perm("customers.view_customer"):
                return None
            consents = consents_of(customer)
            return {
                "consents": consents,
                "may_change": request.user.has_perm("customers.change_customer"),
                # An SMS consent with a number no SMS reaches: say so.
                "sms_problem": sms_problem(customer, consents),
            }

        sections.register(
            sections.Section(
                name="consents",
                template="messaging/_customer_consents.html",
                context=consents,
                order=30,
            )
        )

        def messages(customer, request):
            if not request.user.has_perm("messaging.view_message"):
                return None
            return {"messages": messages_of(customer)}

        sections.register(
            sections.Section(
                name="messages",
                template="messaging/_customer_messages.html",
                context=messages,
                order=31,
            )
        )

        list_filters.register(
            list_filters.ListFilter(
                name="without_consent",
                label=_("without consent"),
                apply=without_active_consent,
                count=customers_without_consent_count,
            )
        )

        # The erasure takes the consents and their history; giving one is
        # contact with the customer (the retention review).
        erasure.register(
            erasure.Holding(
                model=self.get_model("Consent"),
                field="customer_id",
                history=self.get_model("ConsentEvent"),
                contact="given_at",
            )
        )
        erasure.register(erasure.Holding(model=self.get_model("Message"), field="customer_id"))

        # Every minute: reminders due and planned messages to the worker.
        schedule.register(schedule.Job(name="messages", run=_dispatch))

        # Reminders follow their appointment; confirmations go out as set.
        appointment_changed.connect(_appointment_changed, dispatch_uid="messaging.reminders")


def _dispatch() -> str:
    from messaging.services import messages_dispatch

    report = messages_dispatch()
    if not (report.planned or report.queued or report.interrupted):
        return ""
    return (
        f"{report.planned} reminder(s) planned, {report.queued} message(s) queued, "
        f"{report.interrupted} interrupted send(s) marked failed"
    )


def _appointment_changed(sender, *, appointment, change, user=None, **kwargs):
    from messaging.services import appointment_notify

    appointment_notify(appointment_id=appointment.pk, change=change, user=user)
