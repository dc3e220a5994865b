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


# What the list and the comparison show of the frame worn.
FRAME_FIELDS = ("name", "brand", "sale_price")


def customer_documents(customer_id: int, user) -> list[CustomerDocument]:
    """The customer's documents this user may see, newest first: one query
    however many there are."""
    return list(
        with_names_of(
            visible_documents(user).filter(customer_id=customer_id),
            users=["uploaded_by"],
            others={"product": FRAME_FIELDS},
        )
    )


def restorable_documents(customer_id: int, user) -> list[CustomerDocument]:
    """The customer's deleted documents this user may see that can still
    be restored (DOCUMENTS_DELETED_KEEP_DAYS), last deleted first."""
    from documents.services import restorable_since

    if not may_see_documents(user):
        return []
    documents = CustomerDocument.objects.filter(
        customer_id=customer_id, deleted_at__gt=restorable_since()
    )
    return list(
        without_health_data(documents, user)
        .order_by("-deleted_at", "-id")
        .only("id", "customer_id", "kind", "document_date", "original_name", "deleted_at")
    )


def try_on_photos(customer_id: int, user, *, ids=()) -> list[CustomerDocument]:
    """The customer's photos with a frame (images only), with the frame
    worn: those of ``ids``, or all when none is given; oldest first, the
    order in which they were taken."""
    photos = visible_documents(user).filter(
        customer_id=customer_id,
        kind=CustomerDocument.Kind.FRAME_PHOTO,
        content_type__startswith="image/",
    )
    if ids:
        photos = photos.filter(pk__in=ids)
    return list(
        with_names_of(photos, others={"product": FRAME_FIELDS}).order_by(
            "document_date", "created_at", "id"
        )
    )


def frame_label(brand: str, name: str, price) -> str:
    """A frame as the pickers name it: brand, name and sales price."""
    from django.utils.formats import number_format

    return " ".join(part for part in (brand, name) if part) + f" · {number_format(price, 2)} €"


def frame_choice(pk: int | None) -> tuple[int, str] | None:
    """(id, label) of the frame ``pk`` for a picker showing it chosen, or
    None (no frame, or no such frame: the service refuses it on saving)."""
    from products.models import Category, Product

    if pk is None:
        return None
    found = (
        Product.objects.filter(pk=pk, category=Category.FRAME)
        .values_list("pk", "brand", "name", "sale_price")
        .first()
    )
    return (found[0], frame_label(*found[1:])) if found else None


def frame_options(query: str) -> list[tuple[int, str]]:
    """The frames a search finds for a try-on photo (products.selectors.
    frame_search: name, brand, model, or the scanned EAN): a chain has
    thousands, which no list can offer."""
    from products.selectors import frame_search

    return [
        (frame.pk, frame_label(frame.brand, frame.name, frame.sale_price))
        for frame in frame_search(query)
    ]


def may_upload_kinds(user) -> list[tuple[str, str]]:
    """The kinds this user may upload: a prescription only with the
    prescription right (who may not see it may not file it either)."""
    kinds = list(CustomerDocument.Kind.choices)
    if not health_data.may_see_refractions(user):
        kinds = [
            (value, label) for value, label in kinds if value not in CustomerDocument.HEALTH_KINDS
        ]
    return kinds
