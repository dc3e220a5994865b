import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from appointments.demo import seed_demo_appointments
from customers.demo import seed_demo_customers
from messaging.demo import seed_demo_consents
from opticrm.lib.roles import optician_group, staff_group
from orders.demo import seed_demo_orders
from prescriptions.demo import seed_demo_prescriptions
from products.demo import seed_demo_products

# The demo calendars' staff (appointments.demo.DEMO_STAFF) log in too, each
# with one role, so that a new user sees what each role sees.
ROLES = {
    "anna.schmidt": ("front desk: customers, appointments, products; no prescriptions", False),
    "jonas.weber": ("optician: also refractions and contact lenses", True),
}


class Command(BaseCommand):
    help = (
        "Create German demo data (customers, consents, a week of appointments, an "
        "assortment of products with stock, refractions) and a demo login per role: the owner, the "
        "front desk and an optician. Safe to run again: it adds nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("DEMO_USERNAME", "demo"))
        parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "demo"))

    @transaction.atomic
    def handle(self, *args, username: str, password: str, **options):
        staff, opticians = staff_group(), optician_group()
        user, _ = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": "Demo",
                "last_name": "Inhaber",
                "is_staff": True,
                "is_superuser": True,
            },
        )
        # Reset every run, so the logins printed below always work.
        user.set_password(password)
        user.save()
        count = seed_demo_customers()
        # Before the appointments: their bookings plan the reminders.
        consents = seed_demo_consents(user=user)
        booked = seed_demo_appointments(owner=user)
        products = seed_demo_products(user=user)
        refractions = seed_demo_prescriptions(user=user)
        orders = seed_demo_orders(user=user)
        for login, (_role, measures) in ROLES.items():
            member = get_user_model().objects.get(username=login)
            member.set_password(password)
            member.save()
            member.groups.set([staff, opticians] if measures else [staff])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {count} new customers, {consents} new consents, "
                f"{booked} new appointments, {products} new products, "
                f"{refractions} new refractions, {orders} new orders."
            )
        )
        self.stdout.write(f"Demo login: {username} / {password}  (owner: everything)")
        for login, (role, _measures) in ROLES.items():
            self.stdout.write(f"Demo login: {login} / {password}  ({role})")
