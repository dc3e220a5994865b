"""The Brillenpass of a refraction: a print page and the same as PDF."""

import re
import unicodedata

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from opticrm.lib import health_data
from prescriptions import card_pdf
from prescriptions.card import card
from prescriptions.models import HealthDataAccess, Refraction
from prescriptions.services import health_data_opened


def _refraction(request: HttpRequest, pk: int) -> Refraction:
    """The refraction of a living customer; showing it is logged."""
    records = Refraction.objects.select_related("customer", "examiner", "superseded_by").filter(
        customer__deleted_at__isnull=True
    )
    refraction = get_object_or_404(records, pk=pk)
    health_data_opened(
        user=request.user, customer_id=refraction.customer_id, where=HealthDataAccess.Where.CARD
    )
    return refraction


# Letters that do not decompose into an ASCII letter plus accents.
_ASCII = str.maketrans(
    {"ß": "ss", "ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "æ": "ae"}
)


def _filename(refraction: Refraction) -> str:
    """brillenpass-weiss-2026-03-12.pdf: ASCII, so every browser keeps it."""
    name = unicodedata.normalize("NFKD", refraction.customer.last_name.translate(_ASCII))
    name = re.sub(r"[^a-z0-9]+", "-", name.encode("ascii", "ignore").decode().lower()).strip("-")
    return f"brillenpass-{name or 'kunde'}-{refraction.date:%Y-%m-%d}.pdf"


@permission_required(health_data.REFRACTION_PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def refraction_card(request: HttpRequest, pk: int) -> HttpResponse:
    refraction = _refraction(request, pk)
    return render(
        request, "prescriptions/card.html", {"refraction": refraction, "card": card(refraction)}
    )


@permission_required(health_data.REFRACTION_PERMISSION, raise_exception=True)
@require_http_methods(["GET"])
def refraction_card_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    refraction = _refraction(request, pk)
    response = HttpResponse(card_pdf.render(card(refraction)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(refraction)}"'
    return response
