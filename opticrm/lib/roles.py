"""The shop's roles as permission groups, shared by seed_demo and the tests."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

STAFF_GROUP = "Mitarbeiter"
# Front desk and opticians: everything day to day, nothing irreversible.
STAFF_PERMISSIONS = {
    "customers": ["view_customer", "add_customer", "change_customer", "delete_customer"],
    "appointments": ["view_appointment", "add_appointment", "change_appointment"],
    "products": [
        "view_product",
        "add_product",
        "change_product",
        "view_stockmovement",
        "add_stockmovement",
    ],
}


def staff_group() -> Group:
    """The staff group with exactly its permissions, created if missing."""
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    wanted = Q()
    for app_label, codenames in STAFF_PERMISSIONS.items():
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    group.permissions.set(Permission.objects.filter(wanted))
    return group
