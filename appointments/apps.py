from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("Appointments")

    def ready(self):
        from django.utils.dates import WEEKDAYS_ABBR
        from django.utils.translation import gettext as _

        from appointments.selectors import NextAppointmentStart, customer_appointments
        from customers import erasure, next_appointment, sections

        # The customers' next appointment, once the stored one has begun.
        next_appointment.provide(NextAppointmentStart)

        def appointment_lists(customer, request):
            if not request.user.has_perm("appointments.view_appointment"):
                return None
            shown = customer_appointments(customer)
            return {
                "lists": [
                    (_("Upcoming"), shown["upcoming"], _("No upcoming appointments.")),
                    (_("Past"), shown["past"], _("No past appointments.")),
                ],
                # "Mo 01.03.2027, 10:00": the weekdays' short names once.
                "weekdays": [str(WEEKDAYS_ABBR[day]) for day in range(7)],
            }

        sections.register(
            sections.Section(
                name="appointments",
                template="appointments/_customer_appointments.html",
                context=appointment_lists,
                order=20,
                actions="appointments/_customer_actions.html",
            )
        )

        appointment = self.get_model("Appointment")
        # A customer's appointments protect the customer from an everyday
        # delete; the purge (right to erasure) takes them first.
        erasure.register(
            erasure.Holding(
                model=appointment,
                field="customer_id",
                history=self.get_model("AppointmentEvent"),
                purged_first=True,
                # An appointment is contact with the customer (the retention review).
                contact="start",
            )
        )
