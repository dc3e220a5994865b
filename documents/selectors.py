"""Reads of customer documents, with who may see which."""

from django.db.models import Q, QuerySet

from documents.models import CustomerDocument
from opticrm.lib import health_data
from opticrm.lib.models import with_names_of

VIEW_PERMISSION = "documents.view_customerdocument"


def may_see_documents(user) -> bool:
    return user.has_perm(VIEW_PERMISSION)


def visible_documents(user) -> QuerySet[CustomerDocument]:
    """The documents ``user`` may see: none without the view right; health
    data (prescriptions and whatever is linked to a refraction) only with
    the prescription right (opticrm.lib.health_data); never deleted ones."""
    documents = CustomerDocument.objects.alive()
    if not may_see_documents(user):
        return documents.none()
    return without_health_data(documents, user)


def without_health_data(documents: QuerySet, user) -> QuerySet:
    """``documents`` less the health data (prescriptions and whatever is
    linked to a refraction) unless ``user`` has the prescription right."""
    if health_data.may_see_refractions(user):
        return documents
    return documents.exclude(
        Q(kind__in=CustomerDocument.HEALTH_KINDS) | Q(refraction__isnull=False)
    )


def customer_documents(customer_id: int, user) -> list[CustomerDocument]:
    """The customer's documents this user may see, newest first: one query
    however many there are."""
    return list(
        with_names_of(
            visible_documents(user).filter(customer_id=customer_id), users=["uploaded_by"]
        )
    )


def may_upload_kinds(user) -> list[tuple[str, str]]:
    """The kinds this user may upload: a prescription only with the
    prescription right (who may not see it may not file it either)."""
    kinds = list(CustomerDocument.Kind.choices)
    if not health_data.may_see_refractions(user):
        kinds = [
            (value, label) for value, label in kinds if value not in CustomerDocument.HEALTH_KINDS
        ]
    return kinds
