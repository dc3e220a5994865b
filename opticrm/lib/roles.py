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
    # The message log, "Abholbereit", sending failed messages again, recalls.
    "messaging": ["view_message", "send_message"],
    # Selling glasses, contact lenses and repairs; the measured values in an
    # order stay for those with the refraction right.
    "orders": ["view_order", "add_order", "change_order"],
    # Invoices from orders, issued and cancelled (never deleted once issued:
    # the database refuses it), and the payments received for them. These
    # two view rights also open the open items (with the payment reminder)
    # and the day report: the front desk closes the till. Not
    # "view_accounting", the booking list for the tax adviser: that is the
    # owner's, who as a superuser has every permission.
    "invoices": [
        "view_invoice",
        "add_invoice",
        "change_invoice",
        "view_payment",
        "add_payment",
        "delete_payment",
    ],
    # Customer documents (issue 31): photos and consent forms; a
    # prescription (Verordnung) also needs the refraction right below.
    "documents": [
        "view_customerdocument",
        "add_customerdocument",
        "change_customerdocument",
        "delete_customerdocument",
    ],
}
OPTICIAN_GROUP = "Augenoptik"
# Refractions and fittings are health data (DSGVO Art. 9): only those who
# measure and fit see them, in addition to the staff group.
OPTICIAN_PERMISSIONS = {
    "prescriptions": [
        "view_refraction",
        "add_refraction",
        "change_refraction",
        "view_contactlensfitting",
        "add_contactlensfitting",
        "change_contactlensfitting",
    ],
    # The access report (DSGVO Art. 15) holds the measurement values.
    "privacy": ["add_accessreport"],
}


def _group(name: str, permissions: dict[str, list[str]]) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    wanted = Q()
    for app_label, codenames in permissions.items():
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    group.permissions.set(Permission.objects.filter(wanted))
    return group


def staff_group() -> Group:
    """The staff group with exactly its permissions, created if missing."""
    return _group(STAFF_GROUP, STAFF_PERMISSIONS)


def optician_group() -> Group:
    """The opticians' group (prescriptions), created if missing."""
    return _group(OPTICIAN_GROUP, OPTICIAN_PERMISSIONS)
