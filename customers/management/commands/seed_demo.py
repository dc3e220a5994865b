import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from customers.demo import seed_demo_customers

STAFF_GROUP = "Mitarbeiter"
STAFF_PERMISSIONS = ["view_customer", "add_customer", "change_customer", "delete_customer"]


class Command(BaseCommand):
    help = "Create German demo data and a demo login. Safe to run again: it adds nothing twice."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("DEMO_USERNAME", "demo"))
        parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "demo"))

    @transaction.atomic
    def handle(self, *args, username: str, password: str, **options):
        group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="customers", codename__in=STAFF_PERMISSIONS
            )
        )
        user, _ = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": "Demo",
                "last_name": "Inhaber",
                "is_staff": True,
                "is_superuser": True,
            },
        )
        # Reset every run, so the login printed below always works.
        user.set_password(password)
        user.save()
        count = seed_demo_customers()
        self.stdout.write(self.style.SUCCESS(f"Demo data: {count} new customers."))
        self.stdout.write(f"Demo login: {username} / {password}")
