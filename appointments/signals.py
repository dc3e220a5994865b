"""What other apps may want to know about appointments, without appointments
importing them (messaging plans reminders and confirmations from it).

``appointment_changed`` is sent by the services inside their transaction,
after the appointment is saved, with ``appointment``, ``user`` and
``change``: "booked", "imported" (booked in the previous system, brought
over: no confirmation), "moved" (start changed), "cancelled" or "changed"
(anything else: status, notes, staff). A receiver's writes commit or roll
back with the appointment."""

from django.dispatch import Signal

appointment_changed = Signal()
