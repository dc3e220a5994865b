"""Reads of privacy: the exports of all data."""

from django.db.models import QuerySet
from django.utils.translation import gettext

from privacy.models import DataExport

RECENT_EXPORTS = 10


def recent_data_exports(user) -> QuerySet[DataExport]:
    """The user's newest exports of all data (the page lists only one's own)."""
    return DataExport.objects.filter(created_by=user).order_by("-created_at", "-id")[
        :RECENT_EXPORTS
    ]


def active_data_export() -> DataExport | None:
    """The export being made now, whoever asked for it (one at a time)."""
    return (
        DataExport.objects.filter(state__in=DataExport.ACTIVE).select_related("created_by").first()
    )


def data_export_of(user, pk: int) -> DataExport:
    """The export ``pk`` if ``user`` asked for it; DataExport.DoesNotExist
    otherwise (another owner's export is not theirs to download)."""
    return DataExport.objects.get(pk=pk, created_by=user)


def data_exports_withdrawn(customer_id: int) -> list[tuple[str, int]]:
    """What an erasure takes of the exports: every one ready or being made
    (each holds everyone), for the erasure's explanation."""
    count = DataExport.objects.filter(
        state__in=[*DataExport.ACTIVE, DataExport.State.READY]
    ).count()
    return [(gettext("files of “Alle Daten exportieren”"), count)] if count else []
