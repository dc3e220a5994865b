"""Demo consents for `manage.py seed_demo`: most demo customers agree to
service messages on the channels they can be reached on, about half also to
recalls, so that reminders, "abholbereit" and the recall list show something
on a new machine. A customer who has any consent is left as they are: a
second run adds nothing, and what a user recorded stays."""

import random

from customers.models import Customer
from messaging.models import Channel, Consent, Method, Purpose
from messaging.selectors import default_text, has_contact_data
from messaging.services import consent_give


def seed_demo_consents(*, user=None) -> int:
    """Record the demo consents that are missing; return how many were new."""
    rng = random.Random(26)
    with_consent = set(Consent.objects.values_list("customer_id", flat=True))
    created = 0
    for customer in Customer.objects.alive().order_by("pk"):
        # Drawn for every customer, so that a second run draws the same.
        skip, marketing = rng.random() < 0.15, rng.random() < 0.5
        method = rng.choice([Method.IN_STORE, Method.WRITTEN])
        if customer.pk in with_consent or skip:
            continue
        for channel in (Channel.EMAIL, Channel.SMS, Channel.LETTER):
            if not has_contact_data(customer, channel):
                continue
            purposes = [Purpose.SERVICE] if channel != Channel.LETTER else []
            if marketing:
                purposes.append(Purpose.MARKETING)
            for purpose in purposes:
                consent_give(
                    customer_id=customer.pk,
                    channel=channel,
                    purpose=purpose,
                    method=method,
                    text=default_text(channel, purpose),
                    user=user,
                )
                created += 1
    return created
