"""What open pages can follow, and which tables feed each topic.

A page region names the topics it shows (``data-live="customer appointment"``);
when a topic's counter moves, the region reloads itself.
"""

# topic -> the tables whose changes move its counter
TOPICS: dict[str, tuple[str, ...]] = {
    "customer": ("customers_customer",),
    "appointment": ("appointments_appointment",),
    "product": ("products_product", "products_stockmovement"),
    "prescription": ("prescriptions_refraction", "prescriptions_contactlensfitting"),
}
