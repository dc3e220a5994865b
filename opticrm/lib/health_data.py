"""Health data (DSGVO Art. 9): what it is and who may see it, in one place.

Views, the API, the change history, live updates and exports ask here
rather than naming permissions themselves, so that the policy can be read
(and changed) in one module. docs/rules.md has the prose."""

from django.contrib.auth.models import AnonymousUser

# Refractions and contact lens fittings: their values, remarks, binocular and
# wearing notes, and the prescriber of an external prescription.
REFRACTION_PERMISSION = "prescriptions.view_refraction"
FITTING_PERMISSION = "prescriptions.view_contactlensfitting"

# The models whose rows (and therefore change histories and live topics) are
# health data, with the permission that opens each.
MODELS: dict[str, str] = {
    "prescriptions.Refraction": REFRACTION_PERMISSION,
    "prescriptions.ContactLensFitting": FITTING_PERMISSION,
}

# Fields of other models that are health data: the customer's notes once
# held free-text prescriptions (the API's "prescription").
FIELDS: dict[str, tuple[str, ...]] = {
    "customers.Customer": ("notes",),
}

# Derived from refractions and health data as well: when the eyes were last
# measured by refraction (the recall filter and its column).
RECALL_PERMISSION = REFRACTION_PERMISSION


def may_see_refractions(user) -> bool:
    return (
        user is not None
        and not isinstance(user, AnonymousUser)
        and user.has_perm(REFRACTION_PERMISSION)
    )


def may_see_fittings(user) -> bool:
    return (
        user is not None
        and not isinstance(user, AnonymousUser)
        and user.has_perm(FITTING_PERMISSION)
    )


def may_see_recall(user) -> bool:
    """The recall filter ("Refraktion älter als 2 Jahre") and its date."""
    return may_see_refractions(user)


def may_grant_to_api_keys(user) -> bool:
    """Only a person who may see health data can hand it to an API key."""
    return may_see_refractions(user)


def api_key_may_read(key) -> bool:
    """An API key reads health data (the customer's old free-text
    prescription) only when it was created with ``health_data``."""
    return bool(key is not None and key.health_data)


def is_health_model(label: str) -> bool:
    return label in MODELS


def permission_for_model(label: str) -> str | None:
    return MODELS.get(label)
