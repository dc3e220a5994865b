"""What open pages can follow, which tables feed each topic, and who may follow it.

A page region names the topics it shows (``data-live="customer appointment"``);
when a topic's counter moves, the region reloads itself.
"""

from opticrm.lib import health_data

# topic -> the tables whose changes move its counter
TOPICS: dict[str, tuple[str, ...]] = {
    "customer": ("customers_customer",),
    "appointment": ("appointments_appointment",),
    "product": ("products_product", "products_stockmovement"),
    "prescription": ("prescriptions_refraction", "prescriptions_contactlensfitting"),
}

# topic -> the permission to see its data: even when something changed is
# only for those who may look at it (sales of products, eye exams).
PERMISSIONS: dict[str, str] = {
    "customer": "customers.view_customer",
    "appointment": "appointments.view_appointment",
    "product": "products.view_product",
    "prescription": health_data.REFRACTION_PERMISSION,
}


def visible_topics(user) -> list[str]:
    return [topic for topic in TOPICS if user.has_perm(PERMISSIONS[topic])]
